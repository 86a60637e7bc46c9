"""OpenTelemetry spans -> entity events, with Langfuse's attribute vocabulary.

Reads the `langfuse.*`, OTel GenAI (`gen_ai.*`) and OpenInference attributes; whatever is not
consumed lands in the observation's metadata, so no span is ever dropped for an attribute it
did not expect. The resulting events go through the same writer as batch ingestion.

Speed: a request carries up to hundreds of spans, and nearly all of them share a few attribute
key lists. What depends on the keys alone (which of the known keys a span has, which keys fall
under a prefix, which are flattened messages) is worked out once per distinct key list and
cached as a `_Plan`; per span only the values of keys it actually has are looked at.
"""

import json
import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
from django.utils.dateparse import parse_datetime

from apps.costs.usage import cost_details_from, usage_details_from
from apps.ingestion.events import MAX_DEPTH, OBSERVATION_TYPES, PLAIN_OBSERVATION_TYPES, EntityEvent, too_deep
from apps.ingestion.normalize import aware, environment, order_key, valid_id
from apps.ingestion.otel_decode import OtelSpan
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
_MODEL_KEYS = (
    "langfuse.observation.model.name",
    "gen_ai.response.model",
    "ai.model.id",
    "gen_ai.request.model",
    "llm.response.model",
    "llm.model_name",
    "model",
)
# The model keys that make a span without a declared type a generation (langfuse-api.md 4.5, rule
# 10): all but `ai.model.id`, which the Vercel AI SDK also puts on its outer spans (their
# `doGenerate`/`doStream` children are the generations), and `llm.response.model`.
_GENERATION_MODEL_KEYS = tuple(key for key in _MODEL_KEYS if key not in ("ai.model.id", "llm.response.model"))
_TOOL_KEYS = ("gen_ai.tool.name", "gen_ai.tool.call.id")
# The compatibility keys of user, session and tags: metadata keys that older SDK integrations
# (LangChain callbacks, Vercel AI telemetry) used for them.
_COMPAT_USER_KEYS = (
    "langfuse.observation.metadata.langfuse_user_id",
    "langfuse.trace.metadata.langfuse_user_id",
    "ai.telemetry.metadata.userId",
)
_COMPAT_SESSION_KEYS = (
    "langfuse.observation.metadata.langfuse_session_id",
    "langfuse.trace.metadata.langfuse_session_id",
    "ai.telemetry.metadata.sessionId",
)
_COMPAT_TAG_KEYS = (
    "langfuse.observation.metadata.langfuse_tags",
    "langfuse.trace.metadata.langfuse_tags",
    "ai.telemetry.metadata.tags",
)
_TRACE_LEVEL_KEYS = (
    "langfuse.trace.name",
    "langfuse.trace.input",
    "langfuse.trace.output",
    "langfuse.trace.tags",
    "langfuse.trace.public",
    "user.id",
    "session.id",
    "langfuse.user.id",
    "langfuse.session.id",
    "tag.tags",
    *_COMPAT_USER_KEYS,
    *_COMPAT_SESSION_KEYS,
    *_COMPAT_TAG_KEYS,
)
# Vercel AI telemetry metadata keys that are read as trace fields or as the prompt link, and so
# are not copied into the observation's metadata.
_AI_TELEMETRY_READ = frozenset({"userId", "sessionId", "tags", "langfusePrompt"})
_FLATTENED = re.compile(r"^(gen_ai\.(prompt|completion)|llm\.(input|output)_messages)\.(\d+)\.(.+)$")
_FLATTENED_STARTS = ("gen_ai.prompt.", "gen_ai.completion.", "llm.input_messages.", "llm.output_messages.")
# The family `_messages` is asked for, by the regex's first group.
_MESSAGE_FAMILY = {
    "gen_ai.prompt": "gen_ai.prompt",
    "gen_ai.completion": "gen_ai.completion",
    "llm.input_messages": "llm.input",
    "llm.output_messages": "llm.output",
}
_PREFIXES = (
    "gen_ai.usage.",
    "llm.token_count.",
    "gen_ai.request.",
    "llm.invocation_parameters.",
    "langfuse.trace.metadata.",
    "langfuse.observation.metadata.",
    "langfuse.metadata.",
    "ai.telemetry.metadata.",
)


class _Keys:
    """Alternative attribute keys for one value, in precedence order: the first with a value wins.

    Hashed by identity, so a plan indexes its lookups cheaply; each instance registers itself
    under its keys in `_LOOKUPS_BY_KEY`, so every plan covers every lookup.
    """

    __slots__ = ("keys",)

    def __init__(self, *keys: str) -> None:
        self.keys = keys
        for key in keys:
            _LOOKUPS_BY_KEY.setdefault(key, []).append(self)


_LOOKUPS_BY_KEY: dict[str, list["_Keys"]] = {}
_TYPE = _Keys("langfuse.observation.type")
_OPENINFERENCE_KIND = _Keys("openinference.span.kind")
_NAME = _Keys("gen_ai.tool.name", "genkit:name", "logfire.msg", "ai.toolCall.name")
_FUNCTION_ID = _Keys("ai.telemetry.functionId")
_OPERATION_ID = _Keys("ai.operationId")
# Framework keys (langfuse-api.md 4.4) come after Langfuse's own: the Vercel AI SDK, Vertex AI ADK,
# Logfire, LiveKit Agents; Pydantic AI's after the generic `input`/`output`. Genkit's and Flue's are
# read in their own instrumentation scopes only (`_scoped_io`).
_INPUT = _Keys(
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
_OUTPUT = _Keys(
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
_LANGFUSE_INPUT = _Keys("langfuse.observation.input")
_LANGFUSE_OUTPUT = _Keys("langfuse.observation.output")
_GENKIT = "genkit-tracer"
_GENKIT_INPUT = _Keys("genkit:input")
_GENKIT_OUTPUT = _Keys("genkit:output")
_GENKIT_MODEL = _Keys("genkit:name")  # the model on a span of subtype "model"
_FLUE = "@flue/opentelemetry"
_FLUE_INPUT = _Keys("flue.turn.input", "flue.tool.arguments", "flue.task.prompt", "flue.workflow.payload")
_FLUE_OUTPUT = _Keys(
    "flue.turn.output", "flue.tool.result", "flue.task.result", "flue.operation.result", "flue.workflow.result"
)
_FLUE_TOOL_KEYS = ("flue.tool.name", "flue.tool.call_id")
_FLUE_TASK_KEYS = ("flue.task.id", "flue.task.agent")
_VERTEX_ADK = "gcp.vertex.agent"
_VERTEX_RESPONSE = "gcp.vertex.agent.llm_response"
_SYSTEM_INSTRUCTIONS = _Keys("gen_ai.system_instructions")
_ENVIRONMENT = _Keys("langfuse.environment", "deployment.environment.name", "deployment.environment")
_PROMPT_NAME = _Keys("langfuse.observation.prompt.name", "langfuse.prompt.name")
_PROMPT_VERSION = _Keys("langfuse.observation.prompt.version", "langfuse.prompt.version")
_TELEMETRY_PROMPT = _Keys("ai.telemetry.metadata.langfusePrompt")
_AS_ROOT = _Keys("langfuse.internal.as_root")
_IS_APP_ROOT = _Keys("langfuse.internal.is_app_root")
_USER_ID = _Keys("langfuse.user.id", "user.id", *_COMPAT_USER_KEYS)
_SESSION_ID = _Keys("langfuse.session.id", "session.id", "gen_ai.conversation.id", *_COMPAT_SESSION_KEYS)
_TAGS = _Keys("langfuse.trace.tags", "langfuse.tags", *_COMPAT_TAG_KEYS, "tag.tags")
_PUBLIC = _Keys("langfuse.trace.public", "langfuse.public")
_RELEASE = _Keys("langfuse.release")
_VERSION = _Keys("langfuse.version")  # else the resource's service.version
_TRACE_NAME = _Keys("langfuse.trace.name")
_TRACE_INPUT = _Keys("langfuse.trace.input")
_TRACE_OUTPUT = _Keys("langfuse.trace.output")
_TRACE_METADATA = _Keys("langfuse.trace.metadata")
_OBSERVATION_METADATA = _Keys("langfuse.observation.metadata")
_SHARED_METADATA = _Keys("langfuse.metadata")
_MODEL = _Keys(*_MODEL_KEYS)
_USAGE_DETAILS = _Keys("langfuse.observation.usage_details")
_COST_DETAILS = _Keys("langfuse.observation.cost_details")
_COST_TOTAL = _Keys("gen_ai.usage.cost", "llm.cost.total")
# Vercel AI SDK (scope "ai") usage beside its gen_ai.usage.* counts.
_VERCEL_TOTAL = _Keys("ai.usage.tokens", "ai.usage.totalTokens")
_VERCEL_CACHED = _Keys("ai.usage.cachedInputTokens")
_VERCEL_REASONING = _Keys("ai.usage.reasoningTokens")
_VERCEL_PROVIDER_METADATA = "ai.response.providerMetadata"  # read, and still kept in the metadata
_MODEL_PARAMETERS = _Keys("langfuse.observation.model.parameters")
_INVOCATION_PARAMETERS = _Keys("llm.invocation_parameters")  # OpenInference
_MODEL_CONFIG = _Keys("model_config")
_COMPLETION_START = _Keys("langfuse.observation.completion_start_time")
_MS_TO_FIRST_CHUNK = _Keys("ai.response.msToFirstChunk", "ai.stream.msToFirstChunk")
_LEVEL = _Keys("langfuse.observation.level")
_STATUS_MESSAGE = _Keys("langfuse.observation.status_message")


@dataclass(slots=True, frozen=True)
class _Plan:
    """What a span's attribute keys alone decide, worked out once per distinct key list."""

    # Lookup -> the keys of it that the span has, in precedence order (lookups it has none of are absent).
    present: dict[_Keys, tuple[str, ...]]
    # Prefix -> (key, key without the prefix) for the span's keys longer than the prefix, in span order.
    prefixed: dict[str, list[tuple[str, str]]]
    # Message family -> (key, index digits, field) of its flattened keys, in span order.
    flattened: dict[str, list[tuple[str, str, str]]]
    # The observation type when no attribute value names one: from which keys are present.
    fallback_type: str
    # Whether any trace-level key is present (a non-root span then also updates its trace).
    has_trace_keys: bool


def _build_plan(keys: tuple[str, ...]) -> _Plan:
    """One pass over the keys (built for every span whose key list is new, so kept cheap)."""
    key_set = set(keys)
    lookups = {lookup for key in key_set.intersection(_LOOKUPS_BY_KEY) for lookup in _LOOKUPS_BY_KEY[key]}
    present = {lookup: tuple(key for key in lookup.keys if key in key_set) for lookup in lookups}
    prefixed: dict[str, list[tuple[str, str]]] = {}
    flattened: dict[str, list[tuple[str, str, str]]] = {}
    for key in keys:
        if key.startswith(_PREFIXES):
            for prefix in _PREFIXES:
                if key.startswith(prefix) and len(key) > len(prefix):
                    prefixed.setdefault(prefix, []).append((key, key[len(prefix) :]))
        elif key.startswith(_FLATTENED_STARTS) and (match := _FLATTENED.match(key)):
            family = _MESSAGE_FAMILY[match.group(1)]
            flattened.setdefault(family, []).append((key, match.group(4), match.group(5)))
    if any(key in key_set for key in _TOOL_KEYS):
        fallback_type = "TOOL"
    elif any(key in key_set for key in _GENERATION_MODEL_KEYS):
        fallback_type = "GENERATION"
    else:
        fallback_type = "SPAN"
    return _Plan(
        present=present,
        prefixed=prefixed,
        flattened=flattened,
        fallback_type=fallback_type,
        has_trace_keys=any(key in key_set for key in _TRACE_LEVEL_KEYS),
    )


# Plans by key list. Bounded in count and in key size, so arbitrary keys cannot grow memory.
_PLANS: dict[tuple[str, ...], _Plan] = {}
_MAX_PLANS = 512
_MAX_CACHED_KEY_CHARS = 4096


def _plan_for(attributes: dict[str, Any]) -> _Plan:
    """The plan of these attributes' key list (in order: it orders prefixed and flattened keys)."""
    keys = tuple(attributes)
    plan = _PLANS.get(keys)
    if plan is None:
        plan = _build_plan(keys)
        if sum(map(len, keys)) <= _MAX_CACHED_KEY_CHARS:
            if len(_PLANS) >= _MAX_PLANS:
                _PLANS.clear()
            _PLANS[keys] = plan
    return plan


# What JSON text can start with (after whitespace). Plain text like a model name starts otherwise,
# and is returned at once instead of through a DecodeError, which costs more than a decoding.
_JSON_STARTS = frozenset(' \t\n\r-0123456789ftn"[{')


def _json(value: Any) -> Any:
    """JSON text parsed when it parses (and nests sanely); anything else unchanged."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] not in _JSON_STARTS and value.isascii():  # ASCII: nothing but a DecodeError to expect
        return value
    try:
        parsed = msgspec.json.decode(value)
    except (msgspec.DecodeError, RecursionError):
        return value
    # Nesting deeper than the limit needs at least that many brackets: count before walking.
    if value.count("{") + value.count("[") > MAX_DEPTH and too_deep(parsed):
        return value
    return parsed


# Below this size a document is parsed: the saving is too small to matter.
_PASSTHROUGH_MIN_CHARS = 200


def _document(value: Any) -> Any:
    """An input or output given as JSON text: an array or object kept as its text
    (`msgspec.Raw`), else `_json(value)`.

    Parsing a message list only to encode it again for the write was about a tenth of the web CPU
    of an OTLP request. PostgreSQL parses the text into jsonb anyway, so it is the one that
    checks it: text it refuses makes the writer redo the write the careful way, which parses
    every such text and keeps what does not parse as a string, as `_json` would
    (`apps.ingestion.writer.parsed_document`). Fewer brackets than MAX_DEPTH: it cannot nest deeper.
    """
    if (
        isinstance(value, str)
        and len(value) >= _PASSTHROUGH_MIN_CHARS
        and value[0] in "[{"
        and value.count("{") + value.count("[") <= MAX_DEPTH
    ):
        return msgspec.Raw(value.encode())
    return _json(value)


class _Attributes:
    """Span attributes with the keys read so far remembered, so the rest can go to metadata.

    A value that is None or an empty string counts as absent (its key is not consumed either).
    """

    __slots__ = ("values", "resource", "plan", "present", "used")

    def __init__(self, span: OtelSpan) -> None:
        self.values = span.attributes
        self.resource = span.resource
        self.plan = _plan_for(span.attributes)
        self.present = self.plan.present  # read by every get()
        self.used: set[str] = set()

    def get(self, lookup: _Keys) -> Any:
        """The value of the lookup's first key that has one; that key is consumed."""
        keys = self.present.get(lookup)
        if keys is None:
            return None
        values = self.values
        for key in keys:
            value = values[key]
            if value is not None and value != "":
                self.used.add(key)
                return value
        return None

    def get_or_resource(self, lookup: _Keys) -> Any:
        """Key by key, the span's value and then the resource's (a resource value consumes nothing)."""
        if lookup not in self.present:
            resource = self.resource
            for key in lookup.keys:
                value = resource.get(key)
                if value is not None and value != "":
                    return value
            return None
        values, resource = self.values, self.resource
        for key in lookup.keys:
            value = values.get(key)
            if value is not None and value != "":
                self.used.add(key)
                return value
            value = resource.get(key)
            if value is not None and value != "":
                return value
        return None

    def prefixed(self, prefix: str, *, parse: bool = True) -> dict[str, Any]:
        """Every key under `prefix` (consumed, whatever its value), by the rest of the key, JSON
        parsed unless `parse` is false."""
        entries = self.plan.prefixed.get(prefix)
        if entries is None:
            return {}
        values, used = self.values, self.used
        found = {}
        for key, name in entries:
            used.add(key)
            found[name] = _json(values[key]) if parse else values[key]
        return found

    def rest(self) -> dict[str, Any]:
        used = self.used
        if len(used) == len(self.values):  # every key consumed (the common case for Langfuse SDK spans)
            return {}
        return {k: v for k, v in self.values.items() if k not in used}


def _observation_type(span: OtelSpan, attrs: _Attributes) -> str:
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
    if fallback == "TOOL" and _any_meaningful(values, _TOOL_KEYS):
        return "TOOL"
    if _any_meaningful(values, _FLUE_TOOL_KEYS):
        return "TOOL"
    if _any_meaningful(values, _FLUE_TASK_KEYS):
        return "AGENT"  # a Flue task: a delegated sub-agent run
    if span.scope_name == _LIVEKIT and (found := _LIVEKIT_SPANS.get(span.name)):
        return found
    if fallback != "SPAN" and _any_meaningful(values, _GENERATION_MODEL_KEYS):
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
        _COST_DETAILS,
        _USAGE_DETAILS,
        _COMPLETION_START,
        _MODEL_PARAMETERS,
        _PROMPT_NAME,
        _PROMPT_VERSION,
    )
)
_FIXED_SDK_VERSION = (3, 4)


def _old_python_sdk_generation(span: OtelSpan, attrs: _Attributes) -> bool:
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


def _messages(attrs: _Attributes, family: str) -> list | None:
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
                _json(attributes.get("gen_ai.input.messages")), attributes.get("gen_ai.system_instructions")
            )
            details_out = _json(attributes.get("gen_ai.output.messages"))
        elif name in _MESSAGE_EVENTS:
            role = name.split(".")[1]
            inputs.append({"role": role, **{k.removeprefix("gen_ai."): _json(v) for k, v in attributes.items()}})
        elif name == "gen_ai.choice":
            output = {k.removeprefix("gen_ai."): _json(v) for k, v in attributes.items()}
        elif name == "gen_ai.content.prompt":
            legacy_in = _json(attributes.get("gen_ai.prompt"))
        elif name == "gen_ai.content.completion":
            legacy_out = _json(attributes.get("gen_ai.completion"))
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
    parsed = _json(system)
    if isinstance(parsed, list):
        content = "\n".join(_part_text(part) for part in parsed)
    else:
        content = parsed if isinstance(parsed, str) else _js_text(parsed)
    return [{"role": "system", "content": content}, *messages]


def _part_text(part: Any) -> str:
    if isinstance(part, dict) and part.get("content"):
        return part["content"] if isinstance(part["content"], str) else _js_text(part["content"])
    return part if isinstance(part, str) else _js_text(part)


# The inputs that system instructions are prepended to, as Langfuse does: GenAI messages, and
# Pydantic AI's messages in its own scope.
_SYSTEM_TAKERS = {"gen_ai.input.messages": None, "pydantic_ai.all_messages": "pydantic-ai"}


def _scoped_io(span: OtelSpan, attrs: _Attributes) -> tuple[Any, Any] | None:
    """Input and output of Genkit's and Flue's spans, from their own keys (after Langfuse's own);
    None for a span of another scope, or of Flue's without either."""
    if span.scope_name not in (_GENKIT, _FLUE):
        return None
    value_in, value_out = attrs.get(_LANGFUSE_INPUT), attrs.get(_LANGFUSE_OUTPUT)
    if value_in is not None or value_out is not None:
        return _document(value_in), _document(value_out)
    if span.scope_name == _GENKIT:  # a model call's messages and answer; any other span's whole values
        value_in, value_out = _json(attrs.get(_GENKIT_INPUT)), _json(attrs.get(_GENKIT_OUTPUT))
        if isinstance(value_in, dict) and value_in.get("messages") is not None:
            value_in = value_in["messages"]
        if isinstance(value_out, dict) and value_out.get("message") is not None:
            value_out = value_out["message"]
        return value_in, value_out
    value_in, value_out = attrs.get(_FLUE_INPUT), attrs.get(_FLUE_OUTPUT)
    if value_in is None and value_out is None:
        return None
    return _document(value_in), _document(value_out)


def _vercel_answer(span: OtelSpan, attrs: _Attributes) -> dict[str, Any] | None:
    """A Vercel AI SDK answer of text and tool calls (the text may be empty) as one assistant
    message, as Langfuse shows it; None unless the span has both keys."""
    values = attrs.values
    if span.scope_name != "ai" or _VERCEL_TEXT not in values or _VERCEL_TOOL_CALLS not in values:
        return None
    attrs.used.update((_VERCEL_TEXT, _VERCEL_TOOL_CALLS))
    return {"role": "assistant", "content": values[_VERCEL_TEXT], "tool_calls": _json(values[_VERCEL_TOOL_CALLS])}


_VERCEL_TEXT, _VERCEL_TOOL_CALLS = "ai.response.text", "ai.response.toolCalls"


def _io(span: OtelSpan, attrs: _Attributes) -> tuple[Any, Any]:
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
        value_in = _with_system(_json(value_in), system) if system is not None else _document(value_in)
    else:
        value_in = _messages(attrs, "gen_ai.prompt") or _messages(attrs, "llm.input")
    value_out = (
        _document(value_out)
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


_LOGFIRE_EVENTS = _Keys("events")


def _logfire_events(attrs: _Attributes) -> tuple[Any, Any]:
    """Logfire's GenAI events, all in one `events` attribute (a JSON array): the choice event is
    the output, the others (the messages) the input. Anything else under that key is left alone."""
    events = _json(attrs.values[_LOGFIRE_EVENTS.keys[0]])
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        return None, None
    choice = next((event for event in events if event.get("event.name") == "gen_ai.choice"), None)
    messages = [event for event in events if event.get("event.name") != "gen_ai.choice"]
    if choice is None and not messages:
        return None, None
    attrs.get(_LOGFIRE_EVENTS)  # consumed: it is the input and output now
    return messages or None, choice


def _object(value: Any) -> dict[str, Any]:
    parsed = _json(value)
    return parsed if isinstance(parsed, dict) else {}


def _usage(attrs: _Attributes, scope_name: str) -> dict[str, int]:
    explicit = attrs.get(_USAGE_DETAILS)
    if explicit is not None:
        return usage_details_from(_object(explicit))
    if scope_name == _GENKIT and (genkit := _genkit_usage(attrs)) is not None:
        return genkit
    gen_ai = attrs.prefixed("gen_ai.usage.")
    if scope_name == "ai":
        return _vercel_usage(attrs, gen_ai)
    if scope_name == "pydantic-ai" and (pydantic := _pydantic_ai_usage(gen_ai)) is not None:
        return pydantic
    usage = _generic_usage({**gen_ai, **attrs.prefixed("llm.token_count.")})
    if scope_name == _VERTEX_ADK and _VERTEX_RESPONSE in attrs.values and "input_cached_tokens" not in usage:
        _add_vertex_cached_tokens(usage, attrs.values[_VERTEX_RESPONSE])
    return usage_details_from(usage)


def _genkit_usage(attrs: _Attributes) -> dict[str, int] | None:
    """A Genkit model call's counts, from the `usage` of its response (`genkit:output`): the
    output without its thinking tokens, which count apart. None when the response has none."""
    counts = _object(attrs.values.get(_GENKIT_OUTPUT.keys[0])).get("usage")
    if not isinstance(counts, dict):
        return None
    given = {name: _count(counts.get(key)) for name, key in _GENKIT_USAGE_KEYS}
    thoughts = given["output_reasoning"] or 0
    if given["output"]:
        given["output"] = max(given["output"] - thoughts, 0)
    return usage_details_from({name: value for name, value in given.items() if value})


_GENKIT_USAGE_KEYS = (
    ("input", "inputTokens"),
    ("output", "outputTokens"),
    ("total", "totalTokens"),
    ("output_reasoning", "thoughtsTokens"),
)


def _add_vertex_cached_tokens(usage: dict[str, Any], response: Any) -> None:
    """Vertex AI ADK counts cached tokens in its prompt tokens and reports them only in the LLM
    response's `usage_metadata`: moved from the input to `input_cached_tokens`."""
    metadata = _object(response).get("usage_metadata")
    cached = metadata.get("cached_content_token_count") if isinstance(metadata, dict) else None
    if isinstance(cached, bool) or not isinstance(cached, (int, float)) or not cached > 0:
        return
    usage["input_cached_tokens"] = int(cached)
    if isinstance(usage.get("input"), int):
        usage["input"] = max(usage["input"] - int(cached), 0)


def _generic_usage(raw: dict[str, Any]) -> dict[str, Any]:
    """`gen_ai.usage.*` and `llm.token_count.*` counts (`raw`, by the rest of their keys) in
    Langfuse's names: input and output without their cache, reasoning and audio parts, which
    count apart; any other key as it is (without a `details.` prefix)."""
    if not raw:
        return {}
    raw.pop("cost", None)
    usage: dict[str, Any] = {}
    # Langfuse's names of each count first (the OpenTelemetry GenAI ones among them), then others
    # that clients send for the same counts.
    cached = _first(
        raw,
        "cache_read.input_tokens",
        "cache_read_input_tokens",
        "cache_read_tokens",
        "details.cache_read_tokens",
        "details.cache_read_input_tokens",
        "prompt_details.cache_read",
        "input_cached_tokens",
        "input_tokens_details.cached_tokens",
        "cached_tokens",
        "cache_read",
    )
    created = _first(
        raw,
        "cache_creation.input_tokens",
        "cache_creation_input_tokens",
        "cache_write_tokens",
        "details.cache_write_tokens",
        "details.cache_creation_input_tokens",
        "prompt_details.cache_write",
        "input_cache_creation",
        "cache_write",
    )
    reasoning = _first(raw, "reasoning.output_tokens", "completion_details.reasoning", "reasoning_tokens")
    audio = _first(raw, "completion_details.audio")
    prompt = _first(raw, "prompt_tokens", "input_tokens", "prompt")
    completion = _first(raw, "completion_tokens", "output_tokens", "completion")
    total = _first(raw, "total_tokens", "total")
    if prompt is not None:
        usage["input"] = max(prompt - (cached or 0) - (created or 0), 0)
    if completion is not None:
        usage["output"] = max(completion - (reasoning or 0) - (audio or 0), 0)
    if total is not None:
        usage["total"] = total
    for key, value in (
        ("input_cached_tokens", cached),
        ("input_cache_creation", created),
        ("output_reasoning_tokens", reasoning),
        ("output_audio_tokens", audio),
    ):
        if value is not None:
            usage[key] = value
    for key, value in raw.items():
        usage.setdefault(key.removeprefix("details."), value)
    return usage


def _count(value: Any) -> int | None:
    """A token count as the frameworks send it: a number, its text, or `{"intValue": n}` JSON."""
    value = _json(value) if isinstance(value, str) else value
    if isinstance(value, dict):
        value = value.get("intValue")
    if isinstance(value, bool):
        return None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):  # not a count (inf overflows)
        return None


def _vercel_usage(attrs: _Attributes, gen_ai: dict[str, Any]) -> dict[str, int]:
    """The Vercel AI SDK's usage (langfuse-api.md 4.4): input and output from `gen_ai.usage.*`
    (zero without them: the SDK's outer spans repeat their model calls' `ai.usage.*` input and
    output counts, which are not counted again), the total from `ai.usage.tokens` (an embedding's
    only count), cache and reasoning counts from `ai.usage.*` and then from the provider metadata
    (OpenAI, Anthropic, Bedrock), and input and output without them."""
    prompt = _first(gen_ai, "prompt_tokens", "input_tokens")
    completion = _first(gen_ai, "completion_tokens", "output_tokens")
    usage: dict[str, int | None] = {
        "input": prompt,
        "output": completion,
        "total": _count(attrs.get(_VERCEL_TOTAL)),
        "input_cached_tokens": _count(attrs.get(_VERCEL_CACHED)),
        "output_reasoning_tokens": _count(attrs.get(_VERCEL_REASONING)),
    }
    providers = _object(attrs.values.get(_VERCEL_PROVIDER_METADATA))
    openai, anthropic, bedrock = (providers.get(name) for name in ("openai", "anthropic", "bedrock"))
    found: dict[str, Any] = {}
    if isinstance(openai, dict):
        found.update(
            input_cached_tokens=openai.get("cachedPromptTokens"),
            accepted_prediction_tokens=openai.get("acceptedPredictionTokens"),
            rejected_prediction_tokens=openai.get("rejectedPredictionTokens"),
            output_reasoning_tokens=openai.get("reasoningTokens"),
        )
    if isinstance(anthropic, dict) and isinstance(anthropic.get("usage"), dict):
        counts = anthropic["usage"]
        found["input_cache_creation"] = counts.get("cache_creation_input_tokens")
        found["input_cached_tokens"] = found.get("input_cached_tokens") or counts.get("cache_read_input_tokens")
        by_ttl = counts.get("cache_creation")
        if isinstance(by_ttl, dict):  # the 5-minute and 1-hour parts, counted once
            found["input_cache_creation_5m"] = by_ttl.get("ephemeral_5m_input_tokens")
            found["input_cache_creation_1h"] = by_ttl.get("ephemeral_1h_input_tokens")
    if isinstance(bedrock, dict) and isinstance(bedrock.get("usage"), dict):
        counts = bedrock["usage"]
        found["input_cache_read"] = counts.get("cacheReadInputTokens")
        found["input_cache_write"] = counts.get("cacheWriteInputTokens")
        found["input_cache_creation"] = found.get("input_cache_creation") or counts.get("cacheCreationInputTokens")
    for key, value in found.items():
        if usage.get(key) is None:
            usage[key] = _count(value)
    parts = {key: usage.get(key) or 0 for key in ("input_cache_creation_5m", "input_cache_creation_1h")}
    if usage.get("input_cache_creation") is not None and any(parts.values()):
        usage["input_cache_creation"] = max(usage["input_cache_creation"] - sum(parts.values()), 0)
    cached = ("input_cached_tokens", "input_cache_creation", *parts, "input_cache_read")
    usage["input"] = max((usage["input"] or 0) - sum(usage.get(key) or 0 for key in cached), 0)
    usage["output"] = max((usage["output"] or 0) - (usage["output_reasoning_tokens"] or 0), 0)
    return usage_details_from({key: value for key, value in usage.items() if value is not None})


def _pydantic_ai_usage(gen_ai: dict[str, Any]) -> dict[str, int] | None:
    """Pydantic AI reports its counts twice, summed (`gen_ai.usage.input_tokens`) and as the
    provider gave them (`gen_ai.usage.details.*`): only the details are read, so nothing is
    counted twice (langfuse-api.md 4.4). None when it sent no details (older releases)."""
    if "details.input_tokens" not in gen_ai and "details.output_tokens" not in gen_ai:
        return None
    cache_read = gen_ai.get("details.cache_read_input_tokens", gen_ai.get("details.cache_read_tokens"))
    cache_write = gen_ai.get("cache_write_tokens", gen_ai.get("details.cache_creation_input_tokens"))
    usage = {
        "input": _count(gen_ai.get("details.input_tokens")),
        "output": _count(gen_ai.get("details.output_tokens")),
        "input_cache_read": _count(cache_read),
        "input_cache_creation": _count(cache_write),
    }
    return usage_details_from({key: value for key, value in usage.items() if value is not None})


def _first(raw: dict[str, Any], *keys: str) -> int | None:
    """The count of the first of `keys` that has one. Every one of them is taken out of `raw`:
    they are names of one count, which must not also pass through as counts of their own."""
    found = None
    for key in keys:
        if key in raw:
            value = raw.pop(key)
            if found is None:
                try:
                    found = int(value)
                except (TypeError, ValueError, OverflowError):  # not a count (inf overflows)
                    pass
    return found


def _cost(attrs: _Attributes) -> dict[str, str]:
    explicit = attrs.get(_COST_DETAILS)
    if explicit is not None:
        return cost_details_from(_object(explicit))
    total = attrs.get(_COST_TOTAL)
    return cost_details_from({"total": total}) if total is not None else {}


# The Vercel AI SDK's settings shown as model parameters, in Langfuse's names.
_VERCEL_PARAMETERS = (
    ("maxSteps", _Keys("ai.settings.maxSteps")),
    ("toolChoice", _Keys("ai.prompt.toolChoice")),
    ("maxTokens", _Keys("gen_ai.request.max_tokens")),
    ("finishReason", _Keys("gen_ai.response.finish_reasons", "gen_ai.finishReason")),
    ("system", _Keys("gen_ai.system", "ai.model.provider")),
    ("maxRetries", _Keys("ai.settings.maxRetries")),
    ("mode", _Keys("ai.settings.mode")),
    ("temperature", _Keys("gen_ai.request.temperature")),
)


def _model_parameters(attrs: _Attributes, scope_name: str) -> dict[str, Any] | None:
    """Langfuse's own parameters, else by framework: Genkit's config, the Vercel AI SDK's settings
    (with Langfuse's on top), OpenInference's invocation parameters, `model_config`, and last
    every `gen_ai.request.*` and `llm.invocation_parameters.*` key but the model. A JSON object
    that does not parse gives way to the next source."""
    explicit = _parameters_object(attrs, _MODEL_PARAMETERS)
    if scope_name == "ai":  # as text, a list joined with commas (as JavaScript prints them)
        found = ((name, attrs.get(lookup)) for name, lookup in _VERCEL_PARAMETERS)
        parameters = {name: _js_text(value) for name, value in found if value is not None}
        if (tier := _vercel_service_tier(attrs)) is not None:
            parameters["service_tier"] = tier  # pricing tiers read it (e.g. OpenAI's priority processing)
        return {**parameters, **(explicit or {})} or None
    if explicit is not None:
        return explicit or None
    if scope_name == _GENKIT and (config := _genkit_config(attrs)):
        return _parameter_values(config)
    for lookup in (_INVOCATION_PARAMETERS, _MODEL_CONFIG):
        if (found := _parameters_object(attrs, lookup)) is not None:
            return found or None
    flattened = attrs.prefixed("gen_ai.request.", parse=False)
    if invocation := attrs.prefixed("llm.invocation_parameters.", parse=False):
        flattened = {**flattened, **invocation}
    flattened.pop("model", None)
    return _parameter_values(flattened) or None


def _parameters_object(attrs: _Attributes, lookup: _Keys) -> dict[str, Any] | None:
    """Model parameters given as one JSON object (or a key-value list), as Langfuse keeps them;
    None without one, or when it does not parse to an object."""
    value = attrs.get(lookup)
    parsed = _json(value) if isinstance(value, str) else value
    return _parameter_values(parsed) if isinstance(parsed, dict) else None


def _vercel_service_tier(attrs: _Attributes) -> str | None:
    """The service tier OpenAI answered with (provider metadata), else the one requested."""
    openai = _object(attrs.values.get(_VERCEL_PROVIDER_METADATA)).get("openai")
    if isinstance(openai, dict) and isinstance(openai.get("serviceTier"), str):
        return openai["serviceTier"]
    requested = attrs.get(_SERVICE_TIER)
    return _js_text(requested) if requested is not None else None


_SERVICE_TIER = _Keys("gen_ai.request.service_tier")


def _genkit_config(attrs: _Attributes) -> dict[str, Any] | None:
    """A Genkit model call's settings: its request's `config`, else the one its response repeats."""
    config = _object(attrs.values.get(_GENKIT_INPUT.keys[0])).get("config")
    if not isinstance(config, dict):
        request = _object(attrs.values.get(_GENKIT_OUTPUT.keys[0])).get("request")
        config = request.get("config") if isinstance(request, dict) else None
    return config if isinstance(config, dict) else None


def _parameter_values(parameters: dict[str, Any]) -> dict[str, Any]:
    """Model parameters as Langfuse keeps them: numbers and text as they are, anything else as its
    JSON text (as JavaScript writes it)."""
    return {
        key: value
        if isinstance(value, (str, int, float)) and not isinstance(value, bool)
        else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        for key, value in parameters.items()
    }


def _js_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_js_text(item) for item in value)
    return str(value)


def _tags(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        parsed = _json(value)
        value = parsed if isinstance(parsed, list) else [t.strip() for t in value.split(",")]
    if isinstance(value, list):
        return [str(t) for t in value if str(t)]
    return [str(value)]


def _completion_start(attrs: _Attributes) -> datetime | None:
    value = attrs.get(_COMPLETION_START)
    while isinstance(value, str) and value.startswith('"'):
        value = _json(value)
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed, but no such moment (month 13)
        return None
    if moment is None:
        return None
    # Milliseconds, like the span's start and end (langfuse-api.md 4.2), so it never precedes a
    # start it equals.
    return aware(moment.replace(microsecond=moment.microsecond // 1000 * 1000))


def _function_name(attrs: _Attributes) -> str | None:
    """The Vercel AI SDK's name for a span: its operation id, after its telemetry function id."""
    operation_id = attrs.get(_OPERATION_ID)
    if operation_id is None:
        return None
    function_id = attrs.get(_FUNCTION_ID)
    prefix = f"{_as_text(function_id)}:" if function_id is not None else ""
    return f"{prefix}{_as_text(operation_id)}"


def _first_chunk(span: OtelSpan, attrs: _Attributes) -> datetime | None:
    """Completion start from the Vercel AI SDK's milliseconds to the first chunk."""
    value = attrs.get(_MS_TO_FIRST_CHUNK)
    if isinstance(value, str):
        value = _json(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 86_400_000:
        return None  # zero is no first chunk (as in Langfuse); a day or more, no plausible one
    return span.start + timedelta(milliseconds=math.ceil(value))


def _true(value: Any) -> bool:
    return value is True or (value is not None and str(value).lower() == "true")


def _prompt(attrs: _Attributes) -> tuple[str | None, int | None]:
    """The linked prompt's name and version: the Langfuse attributes, else the Vercel AI
    telemetry's `langfusePrompt` object."""
    name, version = _as_text(attrs.get(_PROMPT_NAME)), attrs.get(_PROMPT_VERSION)
    telemetry = attrs.get(_TELEMETRY_PROMPT)
    if name is None and telemetry is not None:
        linked = _object(telemetry)
        name, version = _as_text(linked.get("name")), linked.get("version")
    try:
        version = int(version) if version is not None else None
    except (TypeError, ValueError, OverflowError):
        return name, None
    if version is not None and not 0 <= version < 2**31:  # as the batch endpoint allows
        return name, None
    return name, version


def _trace_metadata(attrs: _Attributes) -> dict[str, Any]:
    """The trace's own metadata keys (`langfuse.trace.metadata` and its flattened form): a span
    with any of them updates its trace."""
    value = attrs.get(_TRACE_METADATA)
    metadata = _object(value) if value else {}
    metadata.update(attrs.prefixed("langfuse.trace.metadata."))
    return metadata


def _shared_trace_metadata(attrs: _Attributes, own: dict[str, Any]) -> dict[str, Any]:
    """The trace's metadata as Langfuse reads it for a trace: its own keys (`own`), else the
    shared `langfuse.metadata` object, with the shared flattened keys (`langfuse.metadata.*`, the
    Vercel AI SDK's telemetry metadata) as well."""
    shared = {} if attrs.values.get(_TRACE_METADATA.keys[0]) else _object(attrs.get(_SHARED_METADATA))
    shared.update(own)
    shared.update(attrs.prefixed("langfuse.metadata."))
    if telemetry := attrs.prefixed("ai.telemetry.metadata."):
        shared.update((k, v) for k, v in telemetry.items() if k not in _AI_TELEMETRY_READ)
    return shared


_RESOURCE_METADATA_PREFIXES = ("langfuse.trace.metadata", "langfuse.metadata", "ai.telemetry.metadata.")


def _resource_metadata(resource: dict[str, Any]) -> dict[str, Any]:
    """Metadata set on the resource (every span of it carries it, and so does its trace):
    `langfuse.trace.metadata` (else `langfuse.metadata`) and the flattened keys of both and of
    the Vercel AI SDK's telemetry metadata."""
    if not any(key.startswith(_RESOURCE_METADATA_PREFIXES) for key in resource):
        return {}
    top = resource.get("langfuse.trace.metadata") or resource.get("langfuse.metadata")
    metadata = _object(top) if top is not None else {}
    for key, value in resource.items():
        for prefix in ("langfuse.trace.metadata.", "langfuse.metadata.", "ai.telemetry.metadata."):
            if key.startswith(prefix) and len(key) > len(prefix):
                name = key[len(prefix) :]
                if prefix != "ai.telemetry.metadata." or name not in _AI_TELEMETRY_READ:
                    metadata[name] = _json(value)
    return metadata


def _observation_metadata(attrs: _Attributes) -> dict[str, Any]:
    """`langfuse.observation.metadata` (else `langfuse.metadata`) plus both flattened forms."""
    value = attrs.get(_OBSERVATION_METADATA) or attrs.get(_SHARED_METADATA)
    metadata = _object(value) if value is not None else {}  # (an empty kvlist's dict is used as it is)
    metadata.update(attrs.prefixed("langfuse.observation.metadata."))
    metadata.update(attrs.prefixed("langfuse.metadata."))
    if telemetry := attrs.prefixed("ai.telemetry.metadata."):
        metadata.update((k, v) for k, v in telemetry.items() if k not in _AI_TELEMETRY_READ)
    return metadata


def _level(span: OtelSpan, attrs: _Attributes) -> str:
    declared = attrs.get(_LEVEL)
    if isinstance(declared, str) and (found := _LEVEL_ALIASES.get(declared.strip().upper())):
        return found
    if span.status_code == 2:
        return "ERROR"
    return "DEBUG" if span.scope_name == _LIVEKIT and span.name in _LIVEKIT_DEBUG_SPANS else "DEFAULT"


def span_events(span: OtelSpan, *, received: datetime) -> list[EntityEvent]:
    """The observation event of one span, plus a trace event when the span carries trace data."""
    attrs = _Attributes(span)
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
    usage, cost = _usage(attrs, span.scope_name), _cost(attrs)
    if span.scope_name == "ai" and attrs.values.get("gen_ai.operation.name") in _VERCEL_AGENT_OPERATIONS:
        model, usage, cost = None, {}, {}  # the agent's totals: its model calls are spans of their own
    parameters = _model_parameters(attrs, span.scope_name)
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
    fields = {"trace_id": span.trace_id, "type": obs_type, "name": name}
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
        trace_in = _document(trace_in) if trace_in is not None else (value_in if is_root else None)
        if trace_in is not None:
            fields["input"] = trace_in
        trace_out = _document(trace_out) if trace_out is not None else (value_out if is_root else None)
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
