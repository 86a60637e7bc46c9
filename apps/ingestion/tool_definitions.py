"""Tool definitions that an observation carries beside its input, moved into the input as Langfuse
does: when an OTLP span is mapped, and when an observation row is merged (batch events).

Frameworks put the tools an LLM call could use in attributes of their own: the Vercel AI SDK in
`ai.prompt.tools`, the OpenTelemetry GenAI conventions in `gen_ai.tool.definitions`, Pydantic AI
in `model_request_parameters.function_tools`, OpenInference in `llm.tools.N.tool.json_schema`,
Langfuse SDK users in their metadata's `tools`. Langfuse shows a call's input with its tools: a
message list becomes `{"messages": [...], "tools": [...]}`, an object gains `tools`, text becomes
`{"prompt": text, "tools": [...]}`; the attributes they came from leave the metadata. An input
that cannot hold them (a number, say) keeps the tools where they were.
"""

import re
from typing import Any

import msgspec

_INDEXED_TOOL = re.compile(r"^llm\.tools\.(\d+)\.tool\.json_schema$")


def _parsed(value: Any) -> Any:
    """JSON text (or `msgspec.Raw`) parsed; anything else, or text that does not parse, as it is."""
    if isinstance(value, msgspec.Raw):
        value = bytes(value).decode()
    if isinstance(value, str):
        try:
            return msgspec.json.decode(value)
        except (msgspec.DecodeError, RecursionError):
            return value
    return value


def _name(tool: Any) -> Any:
    """A tool definition's name, flat or nested as OpenAI's `{"type", "function": {"name"}}`."""
    if not isinstance(tool, dict):
        return None
    definition = tool.get("function")
    return (definition if isinstance(definition, dict) else tool).get("name")


def _tool_like(tool: Any, *, nameless_provider_tools: bool) -> bool:
    """A named definition, or (if allowed) a provider's built-in tool, which has only a `type`."""
    if not isinstance(tool, dict):
        return False
    return bool(_name(tool)) or (nameless_provider_tools and isinstance(tool.get("type"), str))


def _definitions(value: Any, *, every: bool, nameless_provider_tools: bool) -> list[Any] | None:
    """The tool definitions of a list (or its JSON text), each item parsed; None when it is no
    list, has none, or (with `every`) has an item that is not one."""
    items = _parsed(value) if isinstance(value, str) else value
    if not isinstance(items, list):
        return None
    items = [_parsed(item) for item in items]
    if not items:
        return []
    tools = [item for item in items if _tool_like(item, nameless_provider_tools=nameless_provider_tools)]
    if every and len(tools) != len(items):
        return None
    return tools or None


def _deduplicated(tools: list[Any]) -> list[Any]:
    """The first definition of each name (nameless ones all kept)."""
    seen: set[str] = set()
    kept = []
    for tool in tools:
        name = _name(tool)
        if isinstance(name, str) and name:
            if name in seen:
                continue
            seen.add(name)
        kept.append(tool)
    return kept


def _names_tools(attributes: dict[str, Any]) -> bool:
    """Whether any attribute is one that holds tool definitions (checked before anything is copied)."""
    return (
        "ai.prompt.tools" in attributes
        or "gen_ai.tool.definitions" in attributes
        or "model_request_parameters" in attributes
        or any(key.startswith("llm.tools.") for key in attributes)
    )


def _collect(metadata: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The tools found in the metadata, and the metadata without them (a new dict)."""
    tools: list[Any] = []
    cleaned = dict(metadata)
    found = _definitions(metadata.get("tools"), every=True, nameless_provider_tools=False)
    if found:
        tools += found
        del cleaned["tools"]
    attributes = metadata.get("attributes")
    if not isinstance(attributes, dict):
        return _deduplicated(tools), cleaned
    rest = dict(attributes)
    for key, nameless in (("ai.prompt.tools", True), ("gen_ai.tool.definitions", False)):
        found = _definitions(attributes.get(key), every=True, nameless_provider_tools=nameless)
        if found is not None:
            tools += found
            del rest[key]
    parameters = _parsed(attributes.get("model_request_parameters"))
    if isinstance(parameters, dict):
        found = _definitions(parameters.get("function_tools"), every=True, nameless_provider_tools=False)
        if found is not None:
            tools += found
            parameters = {k: v for k, v in parameters.items() if k != "function_tools"}
            if parameters:
                original = attributes["model_request_parameters"]
                rest["model_request_parameters"] = (
                    msgspec.json.encode(parameters).decode() if isinstance(original, str) else parameters
                )
            else:
                del rest["model_request_parameters"]
    indexed = sorted(
        ((int(match.group(1)), key) for key in attributes if (match := _INDEXED_TOOL.match(key))),
    )
    for _index, key in indexed:
        tool = _parsed(attributes[key])
        if _tool_like(tool, nameless_provider_tools=False):
            tools.append(tool)
            del rest[key]
    if rest:
        cleaned["attributes"] = rest
    else:
        del cleaned["attributes"]
    return _deduplicated(tools), cleaned


def _with_tools(value: Any, tools: list[Any]) -> tuple[bool, Any]:
    """(whether the input can hold the tools, the input with them)."""
    if isinstance(value, list):
        return True, {"messages": value, "tools": tools}
    if isinstance(value, dict):
        if value.get("tools") is None:
            return True, {**value, "tools": tools}
        existing = _definitions(value["tools"], every=False, nameless_provider_tools=True)
        if existing is None:
            return False, value
        return True, {**value, "tools": _deduplicated(existing + tools)}
    if value is None:
        return True, {"tools": tools}
    if isinstance(value, str):
        return True, {"prompt": value, "tools": tools}
    return False, value


def move_tools(value_in: Any, metadata: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The input with the tool definitions found in the metadata, and the metadata without them;
    both unchanged when there are none or the input cannot hold them."""
    attributes = metadata.get("attributes")
    if "tools" not in metadata and not (isinstance(attributes, dict) and _names_tools(attributes)):
        return value_in, metadata
    tools, cleaned = _collect(metadata)
    if not tools:
        return value_in, metadata
    # Text (JSON or not: the mapping parsed what parses) is the prompt; JSON kept as text is parsed.
    parsed = _parsed(value_in) if isinstance(value_in, msgspec.Raw) else value_in
    mapped, merged = _with_tools(parsed, tools)
    return (merged, cleaned) if mapped else (value_in, metadata)
