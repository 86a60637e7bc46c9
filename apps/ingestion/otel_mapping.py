"""OpenTelemetry spans -> entity events, with Langfuse's attribute vocabulary.

Reads the `langfuse.*`, OTel GenAI (`gen_ai.*`) and OpenInference attributes; whatever is not
consumed lands in the observation's metadata, so no span is ever dropped for an attribute it
did not expect. The resulting events go through the same writer as batch ingestion. How keys are
looked up is in `otel_attributes`; usage, cost and model parameters are read in `otel_usage`.
"""

import json
import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.dateparse import parse_datetime

from apps.core.javascript import js_string
from apps.ingestion.events import OBSERVATION_TYPES, PLAIN_OBSERVATION_TYPES, EntityEvent
from apps.ingestion.normalize import aware, environment, order_key, valid_id
from apps.ingestion.otel_attributes import (
    COMPAT_SESSION_KEYS,
    COMPAT_TAG_KEYS,
    COMPAT_USER_KEYS,
    GENERATION_MODEL_KEYS,
    GENKIT_INPUT,
    GENKIT_OUTPUT,
    GENKIT_SCOPE,
    MODEL_KEYS,
    TOOL_KEYS,
    Attributes,
    Keys,
    json_document,
    json_object,
    parse_json,
)
from apps.ingestion.otel_decode import OtelSpan
from apps.ingestion.otel_usage import (
    COST_DETAILS,
    MODEL_PARAMETERS,
    USAGE_DETAILS,
    span_cost,
    span_model_parameters,
    span_usage,
)
from apps.ingestion.tool_definitions import move_tools

logger = logging.getLogger("langops.ingestion")

_LEVEL_ALIASES = {
    "TRACE": "DEBUG",
    "VERBOSE": "DEBUG",
    "DEBUG": "DEBUG",
    "INFO": "DEFAULT",
    "LOG": "DEFAULT",
    "NOTICE": "DEFAULT",
    "OK": "DEFAULT",
    "SUCCESS": "DEFAULT",
    "DEFAULT": "DEFAULT",
    "WARN": "WARNING",
    "WARNING": "WARNING",
    "FATAL": "ERROR",
    "CRITICAL": "ERROR",
    "ERROR": "ERROR",
}
_OPENINFERENCE_KINDS = {
    "LLM": "GENERATION",
    "CHAIN": "CHAIN",
    "RETRIEVER": "RETRIEVER",
    "EMBEDDING": "EMBEDDING",
    "AGENT": "AGENT",
    "TOOL": "TOOL",
    "GUARDRAIL": "GUARDRAIL",
    "EVALUATOR": "EVALUATOR",
}
_GEN_AI_OPERATIONS = {
    "chat": "GENERATION",
    "completion": "GENERATION",
    "text_completion": "GENERATION",
    "generate_content": "GENERATION",
    "generate": "GENERATION",
    "embeddings": "EMBEDDING",
    "invoke_agent": "AGENT",
    "create_agent": "AGENT",
    "execute_tool": "TOOL",
}
_GENKIT_SUBTYPES = {
    "model": "GENERATION",
    "background-model": "GENERATION",
    "embedder": "EMBEDDING",
    "tool": "TOOL",
    "tool.v2": "TOOL",
    "retriever": "RETRIEVER",
    "evaluator": "EVALUATOR",
}
# Vercel AI SDK agent spans repeat the usage of the model calls under them (langfuse-api.md 4.3).
_VERCEL_AGENT_OPERATIONS = frozenset({"invoke_agent", "agent_step"})
# The Vercel AI SDK's model calls (`operation.name` may have the function id appended).
_VERCEL_GENERATIONS = (
    "ai.generateText.doGenerate",
    "ai.streamText.doStream",
    "ai.generateObject.doGenerate",
    "ai.streamObject.doStream",
)
_VERCEL_CALLS = (*_VERCEL_GENERATIONS, "ai.embedMany.doEmbed", "ai.embed.doEmbed")
_VERCEL_MODEL_KEYS = ("langfuse.observation.model.name", "ai.model.id", "gen_ai.request.model", "gen_ai.response.model")
# Vercel AI telemetry metadata keys that are read as trace fields or as the prompt link, and so
# are not copied into the observation's metadata.
_AI_TELEMETRY_READ = frozenset({"userId", "sessionId", "tags", "langfusePrompt"})


_TYPE = Keys("langfuse.observation.type")
_OPENINFERENCE_KIND = Keys("openinference.span.kind")
_NAME = Keys("gen_ai.tool.name", "genkit:name", "logfire.msg", "ai.toolCall.name")
_FUNCTION_ID = Keys("ai.telemetry.functionId")
_OPERATION_ID = Keys("ai.operationId")
# Framework keys (langfuse-api.md 4.4) come after Langfuse's own: the Vercel AI SDK, Vertex AI ADK,
# Logfire, LiveKit Agents; Pydantic AI's after the generic `input`/`output`. Genkit's and Flue's are
# read in their own instrumentation scopes only (`_scoped_io`).
_INPUT = Keys(
    "langfuse.observation.input",
    "ai.prompt.messages",
    "ai.prompt",
    "ai.toolCall.args",
    # Vertex AI ADK: a tool span also carries an empty "{}" LLM request, so its arguments come first.
    "gcp.vertex.agent.tool_call_args",
    "gcp.vertex.agent.llm_request",
    "prompt",  # Logfire
    "lk.input_text",  # LiveKit Agents
    "lk.user_transcript",
    "lk.chat_ctx",
    "input.value",
    "gen_ai.input.messages",
    "gen_ai.prompt",
    "traceloop.entity.input",
    "mlflow.spanInputs",
    "gen_ai.tool.call.arguments",
    "input",
    "pydantic_ai.all_messages",
    "tool_arguments",
)
_OUTPUT = Keys(
    "langfuse.observation.output",
    "ai.response.text",
    "ai.response.toolCalls",
    "ai.result.text",
    "ai.toolCall.result",
    "ai.response.object",
    "ai.result.object",  # AI SDK before 4.0
    "ai.result.toolCalls",
    "gcp.vertex.agent.tool_response",
    "gcp.vertex.agent.llm_response",
    "all_messages_events",  # Logfire
    "lk.function_tool.output",  # LiveKit Agents
    "lk.response.text",
    "output.value",
    "gen_ai.output.messages",
    "gen_ai.completion",
    "traceloop.entity.output",
    "mlflow.spanOutputs",
    "gen_ai.tool.call.result",
    "output",
    "final_result",
    "tool_response",
)
_LANGFUSE_INPUT = Keys("langfuse.observation.input")
_LANGFUSE_OUTPUT = Keys("langfuse.observation.output")
_GENKIT_MODEL = Keys("genkit:name")  # the model on a span of subtype "model"
_FLUE = "@flue/opentelemetry"
_FLUE_INPUT = Keys("flue.turn.input", "flue.tool.arguments", "flue.task.prompt", "flue.workflow.payload")
_FLUE_OUTPUT = Keys(
    "flue.turn.output", "flue.tool.result", "flue.task.result", "flue.operation.result", "flue.workflow.result"
)
_FLUE_TOOL_KEYS = ("flue.tool.name", "flue.tool.call_id")
_FLUE_TASK_KEYS = ("flue.task.id", "flue.task.agent")
_SYSTEM_INSTRUCTIONS = Keys("gen_ai.system_instructions")
_ENVIRONMENT = Keys("langfuse.environment", "deployment.environment.name", "deployment.environment")
_PROMPT_NAME = Keys("langfuse.observation.prompt.name", "langfuse.prompt.name")
_PROMPT_VERSION = Keys("langfuse.observation.prompt.version", "langfuse.prompt.version")
_TELEMETRY_PROMPT = Keys("ai.telemetry.metadata.langfusePrompt")
_AS_ROOT = Keys("langfuse.internal.as_root")
_IS_APP_ROOT = Keys("langfuse.internal.is_app_root")
_USER_ID = Keys("langfuse.user.id", "user.id", *COMPAT_USER_KEYS)
_SESSION_ID = Keys("langfuse.session.id", "session.id", "gen_ai.conversation.id", *COMPAT_SESSION_KEYS)
_TAGS = Keys("langfuse.trace.tags", "langfuse.tags", *COMPAT_TAG_KEYS, "tag.tags")
_PUBLIC = Keys("langfuse.trace.public", "langfuse.public")
_RELEASE = Keys("langfuse.release")
_VERSION = Keys("langfuse.version")  # else the resource's service.version
_TRACE_NAME = Keys("langfuse.trace.name")
_TRACE_INPUT = Keys("langfuse.trace.input")
_TRACE_OUTPUT = Keys("langfuse.trace.output")
_TRACE_METADATA = Keys("langfuse.trace.metadata")
_OBSERVATION_METADATA = Keys("langfuse.observation.metadata")
_SHARED_METADATA = Keys("langfuse.metadata")
_MODEL = Keys(*MODEL_KEYS)
_COMPLETION_START = Keys("langfuse.observation.completion_start_time")
_MS_TO_FIRST_CHUNK = Keys("ai.response.msToFirstChunk", "ai.stream.msToFirstChunk")
_LEVEL = Keys("langfuse.observation.level")
_STATUS_MESSAGE = Keys("langfuse.observation.status_message")


def _observation_type(span: OtelSpan, attrs: Attributes) -> str:
    declared = attrs.get(_TYPE)
    if declared == "span" and _old_python_sdk_generation(span, attrs):
        return "GENERATION"
    if isinstance(declared, str) and (found := OBSERVATION_TYPES.get(declared.lower())):
        return found
    kind = attrs.get(_OPENINFERENCE_KIND)
    if isinstance(kind, str) and (found := _OPENINFERENCE_KINDS.get(kind.upper())):
        return found
    values = attrs.values
    operation = values.get("gen_ai.operation.name")
    if isinstance(operation, str) and (found := _GEN_AI_OPERATIONS.get(operation.lower())):
        return found
    subtype = values.get("genkit:metadata:subtype")
    if isinstance(subtype, str) and (found := _GENKIT_SUBTYPES.get(subtype)):
        return found
    if (found := _vercel_type(values)) is not None:
        return found
    # Which of the tool and model keys the span has (its plan), then whether their values say anything.
    fallback = attrs.plan.fallback_type
    if fallback == "TOOL" and _any_meaningful(values, TOOL_KEYS):
        return "TOOL"
    if _any_meaningful(values, _FLUE_TOOL_KEYS):
        return "TOOL"
    if _any_meaningful(values, _FLUE_TASK_KEYS):
        return "AGENT"  # a Flue task: a delegated sub-agent run
    if span.scope_name == _LIVEKIT and (found := _LIVEKIT_SPANS.get(span.name)):
        return found
    if fallback != "SPAN" and _any_meaningful(values, GENERATION_MODEL_KEYS):
        return "GENERATION"
    return "SPAN"


def _any_meaningful(values: dict[str, Any], keys: tuple[str, ...]) -> bool:
    """Whether any of the keys has a value that says something (not empty text, list or object)."""
    for key in keys:
        value = values.get(key)
        if value is not None and value != "" and value != [] and value != {}:
            return True
    return False


def _vercel_type(values: dict[str, Any]) -> str | None:
    """The Vercel AI SDK's model calls (with a model named) and tool calls, by `ai.operationId`
    or by the start of `operation.name` (which may have the function id appended)."""
    name, operation = values.get("operation.name"), values.get("ai.operationId")
    if not isinstance(name, str):
        name = None
    if (name is None or not name.startswith("ai.")) and not (
        isinstance(operation, str) and operation.startswith("ai.")
    ):
        return None

    def matches(prefixes: tuple[str, ...]) -> bool:
        return (name is not None and name.startswith(prefixes)) or operation in prefixes

    if matches(_VERCEL_CALLS):
        if not _any_meaningful(values, _VERCEL_MODEL_KEYS):
            return None  # without a model, not the call itself: typed by the rules after
        return "GENERATION" if matches(_VERCEL_GENERATIONS) else "EMBEDDING"
    return "TOOL" if matches(("ai.toolCall",)) else None


# Keys only a generation carries, which the Python SDK up to 3.3.0 also put on spans it typed
# "span" (Langfuse issue 8682): such a span is the generation it was meant to be.
_GENERATION_ONLY_KEYS = frozenset(
    lookup.keys[0]  # Langfuse's own key of each
    for lookup in (
        _MODEL,
        COST_DETAILS,
        USAGE_DETAILS,
        _COMPLETION_START,
        MODEL_PARAMETERS,
        _PROMPT_NAME,
        _PROMPT_VERSION,
    )
)
_FIXED_SDK_VERSION = (3, 4)


def _old_python_sdk_generation(span: OtelSpan, attrs: Attributes) -> bool:
    """Whether a span typed "span" is a generation from the Python SDK 3.3.0 or older."""
    if span.scope_name != "langfuse-sdk" or span.resource.get("telemetry.sdk.language") != "python":
        return False
    if span.scope_version:  # no version: as Langfuse, taken for an affected one
        parts = re.match(r"(\d+)\.(\d+)", span.scope_version)
        if parts is None or (int(parts[1]), int(parts[2])) >= _FIXED_SDK_VERSION:
            return False
    return not _GENERATION_ONLY_KEYS.isdisjoint(attrs.values)


_LIVEKIT = "livekit-agents"
_LIVEKIT_SPANS = {"agent_turn": "AGENT", "start_agent_activity": "AGENT", "function_tool": "TOOL"}
# LiveKit's internal steps, shown at DEBUG level unless a level is declared or the span failed.
_LIVEKIT_DEBUG_SPANS = frozenset(
    {
        "user_speaking",
        "eou_detection",
        "llm_request_run",
        "tts_node",
        "tts_request",
        "tts_request_run",
        "tts_stream_adapter",
        "agent_speaking",
        "drain_agent_activity",
        "on_exit",
        "on_enter",
        "llm_fallback_adapter",
        "tts_fallback_adapter",
        "start_agent_activity",
    }
)


# Slots of all the lists one message family may rebuild (as Langfuse bounds them): keys that
# would need more stay in the metadata.
_MAX_REBUILT_SLOTS = 10_001


def _messages(attrs: Attributes, family: str) -> list | None:
    """Rebuild flattened keys into the list Langfuse makes of them: `gen_ai.prompt.0.role` into
    `[{"role": ...}]`, `llm.input_messages.0.message.content` into `[{"message": {"content": ...}}]`,
    `gen_ai.completion.0.tool_calls.1.name` into a nested list; values as sent, missing indexes
    null."""
    entries = attrs.plan.flattened.get(family)
    if not entries:
        return None
    rebuilt: list = []
    budget = [_MAX_REBUILT_SLOTS]
    for key, digits, path in entries:
        if _place(rebuilt, [digits, *path.split(".")], attrs.values[key], budget):
            attrs.used.add(key)
    return rebuilt or None


def _place(root: list, path: list[str], value: Any, budget: list[int]) -> bool:
    """Set `value` at `path` under `root` (a digit part indexes a list, made as the next part
    asks); False, leaving `root` unchanged, when an index is too large for the slots left."""
    current: Any = root
    for position, part in enumerate(path):
        last = position == len(path) - 1
        if isinstance(current, list):
            if not part.isdigit() or len(part.lstrip("0")) > 5:  # (int() refuses over 4,300 digits)
                return False
            index = int(part)
            missing = index + 1 - len(current)
            if missing > 0:
                if missing > budget[0]:
                    return False
                budget[0] -= missing
                current.extend([None] * missing)
            if last:
                current[index] = value
                return True
            if not isinstance(current[index], (list, dict)):
                current[index] = [] if path[position + 1].isdigit() else {}
            current = current[index]
        else:
            if last:
                current[part] = value
                return True
            if not isinstance(current.get(part), (list, dict)):
                current[part] = [] if path[position + 1].isdigit() else {}
            current = current[part]
    return True


_MESSAGE_EVENTS = frozenset(
    {"gen_ai.system.message", "gen_ai.user.message", "gen_ai.assistant.message", "gen_ai.tool.message"}
)
# Span events that carry a generation's messages; any other event is kept in the metadata.
_GEN_AI_EVENTS = _MESSAGE_EVENTS | {
    "gen_ai.choice",
    "gen_ai.content.prompt",
    "gen_ai.content.completion",
    "gen_ai.client.inference.operation.details",
}


def _event_messages(span: OtelSpan) -> tuple[Any, Any]:
    """Input and output from GenAI span events, in Langfuse's order: the semconv >= 1.37 details
    event, the per-message events, then the legacy content events."""
    details_in = details_out = legacy_in = legacy_out = None
    inputs, output = [], None
    for event in span.events:
        name, attributes = event.get("name") or "", event["attributes"]
        if name == "gen_ai.client.inference.operation.details":
            details_in = _with_system(
                parse_json(attributes.get("gen_ai.input.messages")), attributes.get("gen_ai.system_instructions")
            )
            details_out = parse_json(attributes.get("gen_ai.output.messages"))
        elif name in _MESSAGE_EVENTS:
            role = name.split(".")[1]
            inputs.append({"role": role, **{k.removeprefix("gen_ai."): parse_json(v) for k, v in attributes.items()}})
        elif name == "gen_ai.choice":
            output = {k.removeprefix("gen_ai."): parse_json(v) for k, v in attributes.items()}
        elif name == "gen_ai.content.prompt":
            legacy_in = parse_json(attributes.get("gen_ai.prompt"))
        elif name == "gen_ai.content.completion":
            legacy_out = parse_json(attributes.get("gen_ai.completion"))
    value_in = next((v for v in (details_in, inputs or None, legacy_in) if v is not None), None)
    value_out = next((v for v in (details_out, output, legacy_out) if v is not None), None)
    return value_in, value_out


def _other_events(span: OtelSpan) -> list[dict[str, Any]]:
    """Span events that are not GenAI messages (exceptions, custom events), for the metadata."""
    return [
        {"name": event.get("name"), "time": event["time"].isoformat(), "attributes": event["attributes"]}
        for event in span.events
        if event.get("name") not in _GEN_AI_EVENTS
    ]


def _with_system(messages: Any, system: Any) -> Any:
    """`gen_ai.system_instructions` prepended to a message list as a system message with its text
    (the parts' contents, one per line), unless the list has a system message already."""
    if system is None or not isinstance(messages, list):
        return messages
    if any(isinstance(message, dict) and message.get("role") == "system" for message in messages):
        return messages
    parsed = parse_json(system)
    if isinstance(parsed, list):
        content = "\n".join(_part_text(part) for part in parsed)
    else:
        content = parsed if isinstance(parsed, str) else js_string(parsed)
    return [{"role": "system", "content": content}, *messages]


def _part_text(part: Any) -> str:
    if isinstance(part, dict) and part.get("content"):
        return part["content"] if isinstance(part["content"], str) else js_string(part["content"])
    return part if isinstance(part, str) else js_string(part)


# The inputs that system instructions are prepended to, as Langfuse does: GenAI messages, and
# Pydantic AI's messages in its own scope.
_SYSTEM_TAKERS = {"gen_ai.input.messages": None, "pydantic_ai.all_messages": "pydantic-ai"}


def _scoped_io(span: OtelSpan, attrs: Attributes) -> tuple[Any, Any] | None:
    """Input and output of Genkit's and Flue's spans, from their own keys (after Langfuse's own);
    None for a span of another scope, or of Flue's without either."""
    if span.scope_name not in (GENKIT_SCOPE, _FLUE):
        return None
    value_in, value_out = attrs.get(_LANGFUSE_INPUT), attrs.get(_LANGFUSE_OUTPUT)
    if value_in is not None or value_out is not None:
        return json_document(value_in), json_document(value_out)
    if span.scope_name == GENKIT_SCOPE:  # a model call's messages and answer; any other span's whole values
        value_in, value_out = parse_json(attrs.get(GENKIT_INPUT)), parse_json(attrs.get(GENKIT_OUTPUT))
        if isinstance(value_in, dict) and value_in.get("messages") is not None:
            value_in = value_in["messages"]
        if isinstance(value_out, dict) and value_out.get("message") is not None:
            value_out = value_out["message"]
        return value_in, value_out
    value_in, value_out = attrs.get(_FLUE_INPUT), attrs.get(_FLUE_OUTPUT)
    if value_in is None and value_out is None:
        return None
    return json_document(value_in), json_document(value_out)


def _vercel_answer(span: OtelSpan, attrs: Attributes) -> dict[str, Any] | None:
    """A Vercel AI SDK answer of text and tool calls (the text may be empty) as one assistant
    message, as Langfuse shows it; None unless the span has both keys."""
    values = attrs.values
    if span.scope_name != "ai" or _VERCEL_TEXT not in values or _VERCEL_TOOL_CALLS not in values:
        return None
    attrs.used.update((_VERCEL_TEXT, _VERCEL_TOOL_CALLS))
    return {"role": "assistant", "content": values[_VERCEL_TEXT], "tool_calls": parse_json(values[_VERCEL_TOOL_CALLS])}


_VERCEL_TEXT, _VERCEL_TOOL_CALLS = "ai.response.text", "ai.response.toolCalls"


def _io(span: OtelSpan, attrs: Attributes) -> tuple[Any, Any]:
    if (scoped := _scoped_io(span, attrs)) is not None:
        return scoped
    value_in = attrs.get(_INPUT)
    value_out = attrs.get(_LANGFUSE_OUTPUT)
    if value_out is None:
        value_out = _vercel_answer(span, attrs)
    if value_out is None:
        value_out = attrs.get(_OUTPUT)
    system = attrs.get(_SYSTEM_INSTRUCTIONS)
    if system is not None and not any(
        key in attrs.used and scope in (None, span.scope_name) for key, scope in _SYSTEM_TAKERS.items()
    ):
        system = None  # read (it leaves the metadata) but prepended to no other input
    if value_in is not None:  # with system instructions to prepend, the messages are needed as a list
        value_in = _with_system(parse_json(value_in), system) if system is not None else json_document(value_in)
    else:
        value_in = _messages(attrs, "gen_ai.prompt") or _messages(attrs, "llm.input")
    value_out = (
        json_document(value_out)
        if value_out is not None
        else _messages(attrs, "gen_ai.completion") or _messages(attrs, "llm.output")
    )
    if value_in is None and value_out is None and _LOGFIRE_EVENTS in attrs.present:
        value_in, value_out = _logfire_events(attrs)
    if (value_in is None or value_out is None) and span.events:
        event_in, event_out = _event_messages(span)
        value_in = value_in if value_in is not None else event_in
        value_out = value_out if value_out is not None else event_out
    return value_in, value_out


_LOGFIRE_EVENTS = Keys("events")


def _logfire_events(attrs: Attributes) -> tuple[Any, Any]:
    """Logfire's GenAI events, all in one `events` attribute (a JSON array): the choice event is
    the output, the others (the messages) the input. Anything else under that key is left alone."""
    events = parse_json(attrs.values[_LOGFIRE_EVENTS.keys[0]])
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        return None, None
    choice = next((event for event in events if event.get("event.name") == "gen_ai.choice"), None)
    messages = [event for event in events if event.get("event.name") != "gen_ai.choice"]
    if choice is None and not messages:
        return None, None
    attrs.get(_LOGFIRE_EVENTS)  # consumed: it is the input and output now
    return messages or None, choice


def _tags(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        parsed = parse_json(value)
        value = parsed if isinstance(parsed, list) else [t.strip() for t in value.split(",")]
    if isinstance(value, list):
        return [str(t) for t in value if str(t)]
    return [str(value)]


def _completion_start(attrs: Attributes) -> datetime | None:
    value = attrs.get(_COMPLETION_START)
    while isinstance(value, str) and value.startswith('"'):
        value = parse_json(value)
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed, but no such moment (month 13)
        return None
    if moment is None:
        return None
    # Milliseconds, like the span's start and end (langfuse-api.md 4.2), so it never precedes a
    # start it equals.
    return aware(moment.replace(microsecond=moment.microsecond // 1000 * 1000))


def _function_name(attrs: Attributes) -> str | None:
    """The Vercel AI SDK's name for a span: its operation id, after its telemetry function id."""
    operation_id = attrs.get(_OPERATION_ID)
    if operation_id is None:
        return None
    function_id = attrs.get(_FUNCTION_ID)
    prefix = f"{_as_text(function_id)}:" if function_id is not None else ""
    return f"{prefix}{_as_text(operation_id)}"


def _first_chunk(span: OtelSpan, attrs: Attributes) -> datetime | None:
    """Completion start from the Vercel AI SDK's milliseconds to the first chunk."""
    value = attrs.get(_MS_TO_FIRST_CHUNK)
    if isinstance(value, str):
        value = parse_json(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 86_400_000:
        return None  # zero is no first chunk (as in Langfuse); a day or more, no plausible one
    return span.start + timedelta(milliseconds=math.ceil(value))


def _true(value: Any) -> bool:
    return value is True or (value is not None and str(value).lower() == "true")


def _prompt(attrs: Attributes) -> tuple[str | None, int | None]:
    """The linked prompt's name and version: the Langfuse attributes, else the Vercel AI
    telemetry's `langfusePrompt` object."""
    name, version = _as_text(attrs.get(_PROMPT_NAME)), attrs.get(_PROMPT_VERSION)
    telemetry = attrs.get(_TELEMETRY_PROMPT)
    if name is None and telemetry is not None:
        linked = json_object(telemetry)
        name, version = _as_text(linked.get("name")), linked.get("version")
    try:
        version = int(version) if version is not None else None
    except (TypeError, ValueError, OverflowError):
        return name, None
    if version is not None and not 0 <= version < 2**31:  # as the batch endpoint allows
        return name, None
    return name, version


def _trace_metadata(attrs: Attributes) -> dict[str, Any]:
    """The trace's own metadata keys (`langfuse.trace.metadata` and its flattened form): a span
    with any of them updates its trace."""
    value = attrs.get(_TRACE_METADATA)
    metadata = json_object(value) if value else {}
    metadata.update(attrs.prefixed("langfuse.trace.metadata."))
    return metadata


def _shared_trace_metadata(attrs: Attributes, own: dict[str, Any]) -> dict[str, Any]:
    """The trace's metadata as Langfuse reads it for a trace: its own keys (`own`), else the
    shared `langfuse.metadata` object, with the shared flattened keys as well."""
    shared = {} if attrs.values.get(_TRACE_METADATA.keys[0]) else json_object(attrs.get(_SHARED_METADATA))
    shared.update(own)
    shared.update(_flattened_shared_metadata(attrs))
    return shared


def _flattened_shared_metadata(attrs: Attributes) -> dict[str, Any]:
    """`langfuse.metadata.*` and the Vercel AI SDK's telemetry metadata (but the keys read as trace
    fields or the prompt link), which observations and traces both show."""
    metadata = attrs.prefixed("langfuse.metadata.")
    if telemetry := attrs.prefixed("ai.telemetry.metadata."):
        metadata.update((k, v) for k, v in telemetry.items() if k not in _AI_TELEMETRY_READ)
    return metadata


_RESOURCE_METADATA_PREFIXES = ("langfuse.trace.metadata", "langfuse.metadata", "ai.telemetry.metadata.")


def _resource_metadata(resource: dict[str, Any]) -> dict[str, Any]:
    """Metadata set on the resource (every span of it carries it, and so does its trace):
    `langfuse.trace.metadata` (else `langfuse.metadata`) and the flattened keys of both and of
    the Vercel AI SDK's telemetry metadata."""
    if not any(key.startswith(_RESOURCE_METADATA_PREFIXES) for key in resource):
        return {}
    top = resource.get("langfuse.trace.metadata") or resource.get("langfuse.metadata")
    metadata = json_object(top) if top is not None else {}
    for key, value in resource.items():
        for prefix in ("langfuse.trace.metadata.", "langfuse.metadata.", "ai.telemetry.metadata."):
            if key.startswith(prefix) and len(key) > len(prefix):
                name = key[len(prefix) :]
                if prefix != "ai.telemetry.metadata." or name not in _AI_TELEMETRY_READ:
                    metadata[name] = parse_json(value)
    return metadata


def _observation_metadata(attrs: Attributes) -> dict[str, Any]:
    """`langfuse.observation.metadata` (else `langfuse.metadata`) plus both flattened forms."""
    value = attrs.get(_OBSERVATION_METADATA) or attrs.get(_SHARED_METADATA)
    metadata = json_object(value) if value is not None else {}  # (an empty kvlist's dict is used as it is)
    metadata.update(attrs.prefixed("langfuse.observation.metadata."))
    metadata.update(_flattened_shared_metadata(attrs))
    return metadata


def _level(span: OtelSpan, attrs: Attributes) -> str:
    declared = attrs.get(_LEVEL)
    if isinstance(declared, str) and (found := _LEVEL_ALIASES.get(declared.strip().upper())):
        return found
    if span.status_code == 2:
        return "ERROR"
    return "DEBUG" if span.scope_name == _LIVEKIT and span.name in _LIVEKIT_DEBUG_SPANS else "DEFAULT"


def span_events(span: OtelSpan, *, received: datetime) -> list[EntityEvent]:
    """The observation event of one span, plus a trace event when the span carries trace data."""
    attrs = Attributes(span)
    obs_type = _observation_type(span, attrs)
    name = _as_text(attrs.get(_NAME)) or _function_name(attrs) or span.name
    value_in, value_out = _io(span, attrs)
    env = attrs.get_or_resource(_ENVIRONMENT)
    env = environment(env) if env is not None else "default"
    prompt_name, prompt_version = _prompt(attrs)
    # The SDK marks its outermost span `is_app_root` even when that span has a parent (a web
    # framework's request span, which it does not export): the trace's name and input/output come
    # from it, as from a parentless span. Short-circuit on purpose: a parentless span does not
    # consume `langfuse.internal.as_root`.
    app_root = _true(attrs.get(_IS_APP_ROOT))
    is_root = span.parent_span_id is None or app_root or _true(attrs.get(_AS_ROOT))
    user_id = attrs.get(_USER_ID)
    session_id = attrs.get(_SESSION_ID)
    tags = _tags(attrs.get(_TAGS))
    public = attrs.get(_PUBLIC)
    release = attrs.get_or_resource(_RELEASE)
    version = _as_text(attrs.get(_VERSION))
    if version is None and (service_version := span.resource.get("service.version")) not in (None, ""):
        version = _as_text(service_version)
    trace_name = attrs.get(_TRACE_NAME)
    trace_in, trace_out = attrs.get(_TRACE_INPUT), attrs.get(_TRACE_OUTPUT)
    trace_metadata = _trace_metadata(attrs)
    observation_metadata = _observation_metadata(attrs)
    resource_metadata = _resource_metadata(span.resource)
    if resource_metadata:
        observation_metadata = {**resource_metadata, **observation_metadata}
    model = _as_text(attrs.get(_MODEL))
    if model is None and attrs.values.get("genkit:metadata:subtype") == "model":
        model = _as_text(attrs.get(_GENKIT_MODEL))
    usage, cost = span_usage(attrs, span.scope_name), span_cost(attrs)
    if span.scope_name == "ai" and attrs.values.get("gen_ai.operation.name") in _VERCEL_AGENT_OPERATIONS:
        model, usage, cost = None, {}, {}  # the agent's totals: its model calls are spans of their own
    parameters = span_model_parameters(attrs, span.scope_name)
    completion_start = _completion_start(attrs) or _first_chunk(span, attrs)
    level = _level(span, attrs)
    status_message = _as_text(attrs.get(_STATUS_MESSAGE)) or span.status_message or None
    rest = attrs.rest()
    if not span.scope_name.startswith("langfuse-sdk") and rest:
        observation_metadata["attributes"] = rest
    if span.events and (other_events := _other_events(span)):
        observation_metadata["events"] = other_events
    observation_metadata["resourceAttributes"] = span.resource
    observation_metadata["scope"] = {
        "name": span.scope_name,
        "version": span.scope_version,
        "attributes": span.scope_attributes,
    }
    # The call's tool definitions join its input (the trace's input, taken from a root span, not).
    observation_in, observation_metadata = move_tools(value_in, observation_metadata)

    # Fields built key by key rather than through events._present(): four times faster, same dict
    # (None means "not provided", so it is left out; the keys keep _present()'s order).
    fields: dict[str, Any] = {"trace_id": span.trace_id, "type": obs_type, "name": name}
    fields["start_time"], fields["end_time"] = span.start, span.end
    if span.parent_span_id is not None:
        fields["parent_observation_id"] = span.parent_span_id
    if observation_in is not None:
        fields["input"] = observation_in
    if value_out is not None:
        fields["output"] = value_out
    fields["metadata"], fields["level"] = observation_metadata, level
    if status_message is not None:
        fields["status_message"] = status_message
    fields["environment"] = env
    if version is not None:
        fields["version"] = version
    if obs_type not in PLAIN_OBSERVATION_TYPES:  # a span or an event has none of these (as in Langfuse)
        if model is not None:
            fields["model"] = model
        if parameters is not None:
            fields["model_parameters"] = parameters
        if completion_start is not None:
            fields["completion_start_time"] = completion_start
        if prompt_name is not None and prompt_version is not None and obs_type == "GENERATION":
            fields["prompt_name"], fields["prompt_version"] = prompt_name, prompt_version
        if usage:
            fields["provided_usage_details"] = usage
        if cost:
            fields["provided_cost_details"] = cost
    key = order_key(received, update=False, envelope_id=span.span_id)
    events = [EntityEvent("observation", span.span_id, key, span.span_id, fields)]
    if is_root or attrs.plan.has_trace_keys or trace_metadata:
        fields = {"timestamp": span.start, "environment": env}
        if user_id is not None:
            fields["user_id"] = _as_text(user_id)
        if session_id is not None:
            fields["session_id"] = _as_text(session_id)
        if tags is not None:
            fields["tags"] = tags
        if public is not None:
            fields["public"] = str(public).lower() == "true"
        if release is not None:
            fields["release"] = _as_text(release)
        if version is not None:
            fields["version"] = version
        trace_metadata = {**resource_metadata, **_shared_trace_metadata(attrs, trace_metadata)}
        if is_root:  # as Langfuse: the trace also shows its root span's metadata and where it came from
            trace_metadata.update(observation_metadata)
            trace_metadata.pop("events", None)
        if trace_metadata:
            fields["metadata"] = trace_metadata
        if trace_name := (_as_text(trace_name) or (name if is_root else None) or "")[:1000]:  # the column's size
            fields["name"] = trace_name
        trace_in = json_document(trace_in) if trace_in is not None else (value_in if is_root else None)
        if trace_in is not None:
            fields["input"] = trace_in
        trace_out = json_document(trace_out) if trace_out is not None else (value_out if is_root else None)
        if trace_out is not None:
            fields["output"] = trace_out
        key = order_key(span.start, update=False, envelope_id=span.span_id)
        events.append(EntityEvent("trace", span.trace_id, key, span.span_id, fields))
    return events


def _as_text(value: Any) -> str | None:
    """A value for a text column: a string as it is, a number or boolean as text, a list as JSON
    (clients put any attribute type under any key)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"  # as JavaScript writes it, as in Langfuse
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


@dataclass(frozen=True, slots=True)
class Rejected:
    span: OtelSpan
    status: int
    reason: str


def spans_to_events(spans: list[OtelSpan], *, received: datetime) -> tuple[list[EntityEvent], list[Rejected]]:
    """The events of every span, and the spans rejected on their own.

    A span with ids no entity can have is refused (400). A span whose mapping fails is a bug,
    logged with its traceback (500). Either costs only that span: the request's other spans are
    still stored, rather than the whole export refused.
    """
    events: list[EntityEvent] = []
    rejected: list[Rejected] = []
    for span in spans:
        if not all(valid_id(i) for i in (span.trace_id, span.span_id, span.parent_span_id or "-")):
            rejected.append(Rejected(span, 400, "span ids must be 1-800 characters"))
            continue
        try:
            events.extend(span_events(span, received=received))
        except Exception:  # isolates one span; logged, and reported as a rejected span
            logger.exception("OTLP span %s of trace %s could not be mapped", span.span_id, span.trace_id)
            rejected.append(Rejected(span, 500, "span could not be mapped"))
    return events, rejected
