"""A generation as one example of OpenAI's chat fine-tuning format.

`{"messages": [...the input messages..., {"role": "assistant", ...the output...}]}`, plus `tools`
when the input carried them. Inputs are a list of chat messages (OpenInference's wrapped
`{"message": {...}}` too), a single message, a plain prompt string (a user message),
`{"messages": [...], "tools": [...]}` or `{"prompt": "...", "tools": [...]}`; outputs are a string, an
assistant message or OpenAI's `{"choices": [{"message": ...}]}`. Anything else is not an example:
`finetune_example` answers None and the export counts it as skipped.
"""

from typing import Any

from apps.traces.rendering import unwrapped_message

ROLES = {"system", "user", "assistant", "tool", "function"}
# OpenAI's newer name for system instructions; fine-tuning files only know "system".
ROLE_ALIASES = {"developer": "system"}
MESSAGE_KEYS = ("role", "content", "name", "tool_calls", "tool_call_id", "function_call")


def _content_ok(content: Any) -> bool:
    if isinstance(content, str):
        return bool(content.strip())
    return isinstance(content, list) and bool(content) and all(isinstance(p, dict) and "type" in p for p in content)


def _message(value: Any) -> dict[str, Any] | None:
    """One chat message with only the keys OpenAI accepts, or None when it is not one."""
    value = unwrapped_message(value)
    if not isinstance(value, dict) or not isinstance(value.get("role"), str):
        return None
    role = ROLE_ALIASES.get(value["role"], value["role"])
    if role not in ROLES:
        return None
    message = {k: value[k] for k in MESSAGE_KEYS if value.get(k) is not None}
    message["role"] = role
    calls = message.get("tool_calls") or message.get("function_call")
    if role == "assistant" and calls and not _content_ok(message.get("content")):
        message.pop("content", None)  # a turn that only calls tools
        return message
    if not _content_ok(message.get("content")):
        return None
    return message


def _messages(values: Any) -> list[dict[str, Any]] | None:
    if not isinstance(values, list) or not values:
        return None
    messages = [_message(v) for v in values]
    return None if any(m is None for m in messages) else messages


def input_messages(value: Any) -> tuple[list[dict[str, Any]], list | None] | None:
    """The prompt as chat messages (and the tools offered), or None when it cannot be read as one."""
    if isinstance(value, str):
        return ([{"role": "user", "content": value}], None) if value.strip() else None
    if isinstance(value, dict) and ("messages" in value or isinstance(value.get("prompt"), str)):
        if "messages" in value:
            messages = _messages(value["messages"])
        else:  # a text prompt with the tools it offered
            messages = [{"role": "user", "content": value["prompt"]}] if value["prompt"].strip() else None
        tools = value.get("tools")
        return (messages, tools if isinstance(tools, list) and tools else None) if messages else None
    if isinstance(value, dict):
        message = _message(value)
        return ([message], None) if message else None
    messages = _messages(value)
    return (messages, None) if messages else None


def assistant_message(value: Any) -> dict[str, Any] | None:
    """The completion as one assistant message, or None when it cannot be read as one."""
    if isinstance(value, str):
        return {"role": "assistant", "content": value} if value.strip() else None
    if isinstance(value, dict) and isinstance(value.get("choices"), list) and value["choices"]:
        choice = value["choices"][0]
        return assistant_message(choice.get("message")) if isinstance(choice, dict) else None
    if isinstance(value, list) and len(value) == 1:
        return assistant_message(value[0])
    if isinstance(value, dict) and value.get("role", "assistant") == "assistant":
        return _message({**value, "role": "assistant"})
    return None


def finetune_example(input_value: Any, output_value: Any) -> dict[str, Any] | None:
    """One line of a fine-tuning file for a generation, or None when input or output do not convert."""
    prompt = input_messages(input_value)
    answer = assistant_message(output_value)
    if prompt is None or answer is None:
        return None
    messages, tools = prompt
    example: dict[str, Any] = {"messages": [*messages, answer]}
    if tools:
        example["tools"] = tools
    return example
