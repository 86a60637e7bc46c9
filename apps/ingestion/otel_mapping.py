"""OpenTelemetry spans -> entity events, with Langfuse's attribute vocabulary.

Reads the `langfuse.*`, OTel GenAI (`gen_ai.*`) and OpenInference attributes; whatever is not
consumed lands in the observation's metadata, so no span is ever dropped for an attribute it
did not expect. The resulting events go through the same writer as batch ingestion.
"""

import json
import re
from datetime import datetime
from typing import Any

import msgspec
from django.utils.dateparse import parse_datetime

from apps.costs.usage import cost_details_from, usage_details_from
from apps.ingestion.events import MAX_DEPTH, OBSERVATION_TYPES, EntityEvent, present, too_deep
from apps.ingestion.normalize import aware, environment, order_key
from apps.ingestion.otel_decode import OtelSpan

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
_MODEL_KEYS = (
    "langfuse.observation.model.name",
    "gen_ai.response.model",
    "ai.model.id",
    "gen_ai.request.model",
    "llm.response.model",
    "llm.model_name",
    "model",
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
)
_FLATTENED = re.compile(r"^(gen_ai\.(prompt|completion)|llm\.(input|output)_messages)\.(\d+)\.(.+)$")


def _json(value: Any) -> Any:
    """JSON text parsed when it parses (and nests sanely); anything else unchanged."""
    if not isinstance(value, str) or not value:
        return value
    try:
        parsed = msgspec.json.decode(value)
    except (msgspec.DecodeError, RecursionError):
        return value
    # Nesting deeper than the limit needs at least that many brackets: count before walking.
    if value.count("{") + value.count("[") > MAX_DEPTH and too_deep(parsed):
        return value
    return parsed


class _Attributes:
    """Span attributes with the keys read so far remembered, so the rest can go to metadata."""

    def __init__(self, span: OtelSpan) -> None:
        self.values = span.attributes
        self.resource = span.resource
        self.used: set[str] = set()

    def get(self, *keys: str, resource: bool = False) -> Any:
        values = self.values
        for key in keys:
            value = values.get(key)
            if value is not None and value != "":
                self.used.add(key)
                return value
            if resource:
                value = self.resource.get(key)
                if value is not None and value != "":
                    return value
        return None

    def prefixed(self, prefix: str) -> dict[str, Any]:
        found = {}
        size = len(prefix)
        for key, value in self.values.items():
            if key.startswith(prefix) and len(key) > size:
                self.used.add(key)
                found[key[size:]] = _json(value)
        return found

    def rest(self) -> dict[str, Any]:
        return {k: v for k, v in self.values.items() if k not in self.used}


def _observation_type(span: OtelSpan, attrs: _Attributes) -> str:
    declared = attrs.get("langfuse.observation.type")
    if isinstance(declared, str) and declared.lower() in OBSERVATION_TYPES:
        return OBSERVATION_TYPES[declared.lower()]
    kind = attrs.get("openinference.span.kind")
    if isinstance(kind, str) and kind.upper() in _OPENINFERENCE_KINDS:
        return _OPENINFERENCE_KINDS[kind.upper()]
    operation = attrs.values.get("gen_ai.operation.name")
    if isinstance(operation, str) and operation.lower() in _GEN_AI_OPERATIONS:
        return _GEN_AI_OPERATIONS[operation.lower()]
    if (
        "ai.toolCall.name" in attrs.values
        or "gen_ai.tool.name" in attrs.values
        or "gen_ai.tool.call.id" in attrs.values
    ):
        return "TOOL"
    if any(key in attrs.values for key in _MODEL_KEYS):
        return "GENERATION"
    return "SPAN"


def _messages(attrs: _Attributes, family: str) -> list[dict] | None:
    """Rebuild flattened `gen_ai.prompt.N.role` / `llm.input_messages.N.message.content` keys into a list."""
    slots: dict[int, dict[str, Any]] = {}
    for key in list(attrs.values):
        match = _FLATTENED.match(key)
        if match and match.group(1).startswith(family):
            index = int(match.group(4))
            if index <= 10_000:
                field = match.group(5).removeprefix("message.")
                slots.setdefault(index, {})[field] = _json(attrs.values[key])
                attrs.used.add(key)
    return [slots[i] for i in sorted(slots)] or None


def _event_messages(span: OtelSpan) -> tuple[list | None, Any]:
    inputs, output = [], None
    for event in span.events:
        name = event.get("name") or ""
        if name in ("gen_ai.system.message", "gen_ai.user.message", "gen_ai.assistant.message", "gen_ai.tool.message"):
            role = name.split(".")[1]
            inputs.append(
                {"role": role, **{k.removeprefix("gen_ai."): _json(v) for k, v in event["attributes"].items()}}
            )
        elif name == "gen_ai.choice":
            output = {k.removeprefix("gen_ai."): _json(v) for k, v in event["attributes"].items()}
    return inputs or None, output


def _io(span: OtelSpan, attrs: _Attributes) -> tuple[Any, Any]:
    value_in = attrs.get(
        "langfuse.observation.input",
        "input.value",
        "gen_ai.input.messages",
        "gen_ai.prompt",
        "traceloop.entity.input",
        "mlflow.spanInputs",
        "gen_ai.tool.call.arguments",
        "input",
    )
    value_out = attrs.get(
        "langfuse.observation.output",
        "output.value",
        "gen_ai.output.messages",
        "gen_ai.completion",
        "traceloop.entity.output",
        "mlflow.spanOutputs",
        "gen_ai.tool.call.result",
        "output",
    )
    value_in = (
        _json(value_in) if value_in is not None else _messages(attrs, "gen_ai.prompt") or _messages(attrs, "llm.input")
    )
    value_out = (
        _json(value_out)
        if value_out is not None
        else _messages(attrs, "gen_ai.completion") or _messages(attrs, "llm.output")
    )
    system = attrs.get("gen_ai.system_instructions")
    if system is not None and isinstance(value_in, list):
        value_in = [{"role": "system", "content": _json(system)}, *value_in]
    if value_in is None or value_out is None:
        event_in, event_out = _event_messages(span)
        value_in = value_in if value_in is not None else event_in
        value_out = value_out if value_out is not None else event_out
    return value_in, value_out


def _object(value: Any) -> dict[str, Any]:
    parsed = _json(value)
    return parsed if isinstance(parsed, dict) else {}


def _usage(attrs: _Attributes) -> dict[str, int]:
    explicit = attrs.get("langfuse.observation.usage_details")
    if explicit is not None:
        return usage_details_from(_object(explicit))
    raw = {**attrs.prefixed("gen_ai.usage."), **attrs.prefixed("llm.token_count.")}
    raw.pop("cost", None)
    usage: dict[str, Any] = {}
    cached = _first(
        raw,
        "cache_read_input_tokens",
        "input_tokens_details.cached_tokens",
        "prompt_details.cache_read",
        "cached_tokens",
        "cache_read",
    )
    created = _first(raw, "cache_creation_input_tokens", "prompt_details.cache_write", "cache_write")
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
    return usage_details_from(usage)


def _first(raw: dict[str, Any], *keys: str) -> int | None:
    for key in keys:
        if key in raw:
            value = raw.pop(key)
            try:
                return int(value)
            except (TypeError, ValueError):
                return None
    return None


def _cost(attrs: _Attributes) -> dict[str, str]:
    explicit = attrs.get("langfuse.observation.cost_details")
    if explicit is not None:
        return cost_details_from(_object(explicit))
    total = attrs.get("gen_ai.usage.cost", "llm.cost.total")
    return cost_details_from({"total": total}) if total is not None else {}


def _model_parameters(attrs: _Attributes) -> dict[str, Any] | None:
    explicit = attrs.get("langfuse.observation.model.parameters", "llm.invocation_parameters")
    if explicit is not None:
        return _object(explicit) or None
    parameters = {k: v for k, v in attrs.prefixed("gen_ai.request.").items() if k != "model"}
    return {k: v if isinstance(v, (str, int, float)) else json.dumps(v) for k, v in parameters.items()} or None


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
    value = attrs.get("langfuse.observation.completion_start_time")
    while isinstance(value, str) and value.startswith('"'):
        value = _json(value)
    moment = parse_datetime(value) if isinstance(value, str) else None
    return aware(moment) if moment else None


def _metadata(attrs: _Attributes, domain: str) -> dict[str, Any]:
    metadata = _object(
        attrs.get(f"langfuse.{domain}.metadata")
        or (attrs.get("langfuse.metadata") if domain == "observation" else None)
    )
    metadata.update(attrs.prefixed(f"langfuse.{domain}.metadata."))
    if domain == "observation":
        metadata.update(attrs.prefixed("langfuse.metadata."))
    return metadata


def _level(span: OtelSpan, attrs: _Attributes) -> str:
    declared = attrs.get("langfuse.observation.level")
    if isinstance(declared, str) and declared.upper() in _LEVEL_ALIASES:
        return _LEVEL_ALIASES[declared.upper()]
    return "ERROR" if span.status_code == 2 else "DEFAULT"


def span_events(span: OtelSpan, *, received: datetime) -> list[EntityEvent]:
    """The observation event of one span, plus a trace event when the span carries trace data."""
    attrs = _Attributes(span)
    obs_type = _observation_type(span, attrs)
    name = attrs.get("gen_ai.tool.name", "logfire.msg", "ai.toolCall.name") or span.name
    value_in, value_out = _io(span, attrs)
    env = attrs.get("langfuse.environment", "deployment.environment.name", "deployment.environment", resource=True)
    env = environment(env) if env is not None else "default"
    prompt_name = attrs.get("langfuse.observation.prompt.name", "langfuse.prompt.name")
    prompt_version = attrs.get("langfuse.observation.prompt.version", "langfuse.prompt.version")
    try:
        prompt_version = int(prompt_version) if prompt_version is not None else None
    except (TypeError, ValueError):
        prompt_version = None
    if prompt_version is not None and not 0 <= prompt_version < 2**31:  # as the batch endpoint allows
        prompt_version = None
    is_root = span.parent_span_id is None or str(attrs.get("langfuse.internal.as_root")).lower() == "true"
    attrs.get("langfuse.internal.is_app_root")
    user_id = attrs.get("langfuse.user.id", "user.id")
    session_id = attrs.get("langfuse.session.id", "session.id", "gen_ai.conversation.id")
    tags = _tags(attrs.get("langfuse.trace.tags", "langfuse.tags", "tag.tags"))
    public = attrs.get("langfuse.trace.public", "langfuse.public")
    release = attrs.get("langfuse.release", resource=True)
    version = attrs.get("langfuse.version", "service.version", resource=True)
    trace_name = attrs.get("langfuse.trace.name")
    trace_in, trace_out = attrs.get("langfuse.trace.input"), attrs.get("langfuse.trace.output")
    trace_metadata = _metadata(attrs, "trace")
    observation_metadata = _metadata(attrs, "observation")
    model = attrs.get(*_MODEL_KEYS)
    usage, cost = _usage(attrs), _cost(attrs)
    parameters = _model_parameters(attrs)
    completion_start = _completion_start(attrs)
    level = _level(span, attrs)
    status_message = attrs.get("langfuse.observation.status_message") or span.status_message or None
    rest = attrs.rest()
    if not span.scope_name.startswith("langfuse-sdk") and rest:
        observation_metadata["attributes"] = rest
    observation_metadata["resourceAttributes"] = span.resource
    observation_metadata["scope"] = {
        "name": span.scope_name,
        "version": span.scope_version,
        "attributes": span.scope_attributes,
    }

    observation = EntityEvent(
        "observation", span.span_id, order_key(received, update=False, envelope_id=span.span_id), span.span_id
    )
    observation.fields = present(
        trace_id=span.trace_id,
        type=obs_type,
        name=name,
        start_time=span.start,
        end_time=span.end,
        parent_observation_id=span.parent_span_id,
        input=value_in,
        output=value_out,
        metadata=observation_metadata,
        level=level,
        status_message=status_message,
        environment=env,
        version=version,
        model=model,
        model_parameters=parameters,
        completion_start_time=completion_start,
        prompt_name=prompt_name if prompt_version is not None else None,
        prompt_version=prompt_version if prompt_name is not None else None,
        provided_usage_details=usage or None,
        provided_cost_details=cost or None,
    )
    events = [observation]
    has_trace_data = is_root or any(key in span.attributes for key in _TRACE_LEVEL_KEYS) or trace_metadata
    if has_trace_data:
        trace = EntityEvent(
            "trace", span.trace_id, order_key(span.start, update=False, envelope_id=span.span_id), span.span_id
        )
        trace.fields = present(
            timestamp=span.start,
            environment=env,
            user_id=_string(user_id),
            session_id=_string(session_id),
            tags=tags,
            public=None if public is None else str(public).lower() == "true",
            release=_string(release),
            version=_string(version),
            metadata=trace_metadata or None,
            name=(trace_name or (name if is_root else None) or "")[:1000] or None,  # the column's size
            input=_json(trace_in) if trace_in is not None else (value_in if is_root else None),
            output=_json(trace_out) if trace_out is not None else (value_out if is_root else None),
        )
        events.append(trace)
    return events


def _string(value: Any) -> str | None:
    return None if value is None else str(value)


def spans_to_events(spans: list[OtelSpan], *, received: datetime) -> list[EntityEvent]:
    events: list[EntityEvent] = []
    for span in spans:
        events.extend(span_events(span, received=received))
    return events
