"""Decoding and validation of `/api/public/ingestion` events into entity events.

Each event is validated on its own (msgspec); a bad one becomes an error entry and never
affects its neighbours. The result of a valid event is an `EntityEvent`: the entity kind and
id, an order key, and the columns it sets (explicit null means "not provided", so None never
appears in `fields`).
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import msgspec

from apps.costs.usage import cost_details_from, provided_usage
from apps.ingestion.normalize import aware, environment, order_key, valid_id

Level = Literal["DEBUG", "DEFAULT", "WARNING", "ERROR"]
OBSERVATION_TYPES = {
    "span": "SPAN",
    "generation": "GENERATION",
    "event": "EVENT",
    "agent": "AGENT",
    "tool": "TOOL",
    "chain": "CHAIN",
    "retriever": "RETRIEVER",
    "evaluator": "EVALUATOR",
    "embedding": "EMBEDDING",
    "guardrail": "GUARDRAIL",
}
# Observation types whose events carry no model, model parameters, usage, cost, completion start
# or prompt: Langfuse's span and event schemas have none of them, and drop what a client sends.
PLAIN_OBSERVATION_TYPES = frozenset({"SPAN", "EVENT"})
_PLAIN_EVENT_TYPES = frozenset({"span-create", "span-update", "event-create"})
_GENERATION_ONLY = dict.fromkeys(
    (
        "model",
        "modelParameters",
        "usage",
        "usageDetails",
        "costDetails",
        "completionStartTime",
        "promptName",
        "promptVersion",
    )
)
SCORE_TYPES = {"score-create", "sdk-log"}
_ID_NAMESPACE = uuid.UUID("8f1d3c52-6a4e-4c5b-9f0e-2b7d1a9c4e61")


class Envelope(msgspec.Struct):
    id: str
    type: str
    timestamp: datetime
    body: dict[str, Any]
    metadata: Any = None


class TraceBody(msgspec.Struct):
    id: str | None = None
    timestamp: datetime | None = None
    name: str | None = None
    externalId: str | None = None
    input: Any = None
    output: Any = None
    sessionId: str | None = None
    userId: str | None = None
    environment: str | None = None
    metadata: Any = None
    release: str | None = None
    version: str | None = None
    public: bool | None = None
    tags: list[str] | None = None


class ObservationBody(msgspec.Struct):
    id: str | None = None
    traceId: str | None = None
    type: str | None = None  # legacy observation-create/update only
    environment: str | None = None
    name: str | None = None
    startTime: datetime | None = None
    endTime: datetime | None = None
    completionStartTime: datetime | None = None
    metadata: Any = None
    input: Any = None
    output: Any = None
    level: Level | None = None
    statusMessage: str | None = None
    parentObservationId: str | None = None
    version: str | None = None
    model: str | None = None
    modelParameters: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    usageDetails: dict[str, Any] | None = None
    costDetails: dict[str, Any] | None = None
    promptName: str | None = None
    promptVersion: int | None = None


class ScoreBody(msgspec.Struct):
    name: str
    value: float | str
    id: str | None = None
    traceId: str | None = None
    observationId: str | None = None
    sessionId: str | None = None
    datasetRunId: str | None = None
    environment: str | None = None
    dataType: Literal["NUMERIC", "CATEGORICAL", "BOOLEAN", "TEXT", "CORRECTION"] | None = None
    configId: str | None = None
    comment: str | None = None
    metadata: Any = None
    queueId: str | None = None
    source: Literal["API", "EVAL", "ANNOTATION"] | None = None
    timestamp: datetime | None = None


class EventError(Exception):
    def __init__(self, status: int, message: str, error: str) -> None:
        super().__init__(message)
        self.status, self.message, self.error = status, message, error


@dataclass(slots=True)
class EntityEvent:
    kind: str  # "trace" | "observation" | "score"
    id: str
    key: str
    envelope_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    # Columns whose value is only a default (e.g. start time taken from the envelope).
    weak_fields: dict[str, Any] = field(default_factory=dict)


def _body_id(body_id: str | None, envelope: Envelope, suffix: str = "") -> str:
    """The entity id; events without one get an id derived from the envelope (stable on resend)."""
    if body_id is None:
        return str(uuid.uuid5(_ID_NAMESPACE, envelope.id + suffix))
    if not valid_id(body_id):
        raise EventError(400, "Invalid request data", "body.id must be 1-800 characters without carriage returns")
    return body_id


def _metadata(value: Any) -> dict[str, Any]:
    """Metadata as an object: a scalar or list becomes {"metadata": value}."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    return {"metadata": value}


def _utc(moment: datetime | None) -> datetime | None:
    """A time as sent, in UTC. One without an offset is taken as UTC, so that times with and without
    offsets in one batch compare (they once failed the whole request)."""
    return aware(moment) if moment is not None else None


def _present(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _trace_event(envelope: Envelope, body: TraceBody) -> EntityEvent:
    key = order_key(envelope.timestamp, update=False, envelope_id=envelope.id)
    event = EntityEvent("trace", _body_id(body.id, envelope), key, envelope.id)
    event.fields = _present(
        timestamp=_utc(body.timestamp),
        name=body.name[:1000] if body.name else body.name,
        external_id=body.externalId,
        input=body.input,
        output=body.output,
        session_id=body.sessionId,
        user_id=body.userId,
        release=body.release,
        version=body.version,
        public=body.public,
        tags=body.tags,
        environment=environment(body.environment) if body.environment is not None else None,
        metadata=_metadata(body.metadata) or None,
    )
    if body.timestamp is None:
        event.weak_fields["timestamp"] = _utc(envelope.timestamp)
    if body.environment is None:
        event.weak_fields["environment"] = "default"
    return event


def _observation_event(envelope: Envelope, body: ObservationBody, obs_type: str, update: bool) -> EntityEvent:
    if (body.promptName is None) != (body.promptVersion is None):
        raise EventError(400, "Invalid request data", "promptName and promptVersion must be provided together")
    key = order_key(envelope.timestamp, update=update, envelope_id=envelope.id)
    event = EntityEvent("observation", _body_id(body.id, envelope), key, envelope.id)
    for name, value in (("traceId", body.traceId), ("parentObservationId", body.parentObservationId)):
        if value is not None and not valid_id(value):
            raise EventError(400, "Invalid request data", f"{name} must be 1-800 characters")
    if body.promptVersion is not None and not 0 <= body.promptVersion < 2**31:
        raise EventError(400, "Invalid request data", "promptVersion must be a positive 32-bit integer")
    usage, costs, unit = provided_usage(body.usage, body.usageDetails)
    costs.update(cost_details_from(body.costDetails))
    event.fields = _present(
        trace_id=body.traceId,
        name=body.name,
        start_time=_utc(body.startTime),
        end_time=_utc(body.endTime),
        completion_start_time=_utc(body.completionStartTime),
        level=body.level,
        status_message=body.statusMessage,
        parent_observation_id=body.parentObservationId,
        version=body.version,
        model=body.model,
        model_parameters=body.modelParameters or None,
        input=body.input,
        output=body.output,
        metadata=_metadata(body.metadata) or None,
        prompt_name=body.promptName,
        prompt_version=body.promptVersion,
        provided_usage_details=usage or None,
        provided_cost_details=costs or None,
        usage_unit=unit,
        environment=environment(body.environment) if body.environment is not None else None,
    )
    if not update:
        event.fields["type"] = obs_type
    else:
        event.weak_fields["type"] = obs_type
    if body.startTime is None:
        event.weak_fields["start_time"] = _utc(envelope.timestamp)
    if body.environment is None:
        event.weak_fields["environment"] = "default"
    if body.traceId is None:
        # SDKs before 2.0 sent observations without a trace: they get a wrapper trace of their own.
        event.weak_fields["trace_id"] = event.id
    return event


def _score_event(envelope: Envelope, body: ScoreBody) -> EntityEvent:
    if not body.name.strip():
        raise EventError(400, "Invalid request data", "name must not be empty")
    targets = [t for t in (body.traceId, body.sessionId, body.datasetRunId) if t is not None]
    if len(targets) != 1:
        raise EventError(400, "Invalid request data", "exactly one of traceId, sessionId or datasetRunId is required")
    for name in ("traceId", "observationId", "sessionId", "datasetRunId"):
        value = getattr(body, name)
        if value is not None and not valid_id(value):
            raise EventError(400, "Invalid request data", f"{name} must be 1-800 characters")
    if body.observationId is not None and body.traceId is None:
        raise EventError(400, "Invalid request data", "observationId requires traceId")
    data_type = body.dataType or ("CATEGORICAL" if isinstance(body.value, str) else "NUMERIC")
    value, string_value = _score_value(data_type, body.value)
    if body.source == "ANNOTATION" and body.configId is None and data_type != "CORRECTION":
        raise EventError(400, "Invalid request data", "ANNOTATION scores need a configId")
    key = order_key(envelope.timestamp, update=False, envelope_id=envelope.id)
    event = EntityEvent("score", _body_id(body.id, envelope), key, envelope.id)
    event.fields = _present(
        timestamp=_utc(body.timestamp or envelope.timestamp),
        name=body.name,
        value=value,
        string_value=string_value,
        data_type=data_type,
        source=body.source or "API",
        trace_id=body.traceId,
        observation_id=body.observationId,
        session_id=body.sessionId,
        dataset_run_id=body.datasetRunId,
        config_id=body.configId,
        queue_id=body.queueId,
        comment=body.comment,
        metadata=_metadata(body.metadata) or None,
        environment=environment(body.environment) if body.environment is not None else None,
    )
    if body.environment is None:
        event.weak_fields["environment"] = "default"
    return event


def _score_value(data_type: str, value: float | str) -> tuple[float | None, str | None]:
    """(numeric value, string value) for a score, enforcing the data type's rules."""
    if data_type == "NUMERIC":
        if isinstance(value, str):
            raise EventError(400, "Invalid request data", "NUMERIC scores need a numeric value")
        return float(value), None
    if data_type == "BOOLEAN":
        if isinstance(value, str) or value not in (0, 1):
            raise EventError(400, "Invalid request data", "BOOLEAN scores need the value 0 or 1")
        return float(value), "True" if value == 1 else "False"
    if not isinstance(value, str):
        raise EventError(400, "Invalid request data", f"{data_type} scores need a string value")
    if data_type == "TEXT" and not 1 <= len(value) <= 500:
        raise EventError(400, "Invalid request data", "TEXT scores must be 1-500 characters")
    return None, value


def _observation_type(event_type: str, body: dict) -> tuple[str, bool] | None:
    """(observation type, is_update) for an observation event type, else None."""
    kind, _, verb = event_type.rpartition("-")
    if kind == "observation" and verb in ("create", "update"):
        legacy_type = str(body.get("type") or "SPAN").upper()
        if legacy_type not in ("SPAN", "GENERATION", "EVENT"):
            raise EventError(400, "Invalid request data", "observation type must be SPAN, GENERATION or EVENT")
        return legacy_type, verb == "update"
    if kind in OBSERVATION_TYPES and verb == "create":
        return OBSERVATION_TYPES[kind], False
    if kind in ("span", "generation") and verb == "update":
        return OBSERVATION_TYPES[kind], True
    return None


def _convert(body: dict, struct: type) -> Any:
    try:
        return msgspec.convert(body, struct, strict=False)
    except msgspec.ValidationError as exc:
        raise EventError(400, "Invalid request data", str(exc)) from exc


MAX_DEPTH = 100


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON nests deeper than `limit` (checked without recursion, so it cannot overflow)."""
    if not isinstance(value, (dict, list)):
        return limit < 1
    stack = [(value, 1)]  # containers only: a scalar's depth is its container's plus one
    while stack:
        item, depth = stack.pop()
        if depth > limit or (item and depth == limit):  # it, or any child of it, is too deep
            return True
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False


def _blank_as_absent(body: Any, *names: str) -> Any:
    """The body with these fields absent where they are empty text: clients send "" for "none"
    (Langfuse reads them by truthiness), and the event would otherwise be refused and lost."""
    blank = {name: None for name in names if getattr(body, name) == ""}
    return msgspec.structs.replace(body, **blank) if blank else body


def decode_event(raw: Any, *, scores_only: bool) -> tuple[str, EntityEvent | None]:
    """Validate one raw event. Returns (envelope id, entity event or None for sdk-log).

    Raises EventError with the per-event status, message and reason.
    """
    if too_deep(raw):
        raise EventError(400, "Invalid request data", f"event nests deeper than {MAX_DEPTH} levels")
    try:
        envelope = msgspec.convert(raw, Envelope, strict=False)
    except msgspec.ValidationError as exc:
        raise EventError(400, "Invalid request data", str(exc)) from exc
    if not valid_id(envelope.id):
        raise EventError(400, "Invalid request data", "event id must be 1-800 characters without carriage returns")
    if scores_only and envelope.type not in SCORE_TYPES:
        raise EventError(401, "Authentication error", "Access Scope Denied")
    if envelope.type == "sdk-log":
        return envelope.id, None
    if envelope.type == "trace-create":
        return envelope.id, _trace_event(envelope, _convert(envelope.body, TraceBody))
    if envelope.type == "score-create":
        body = _blank_as_absent(
            _convert(envelope.body, ScoreBody), "traceId", "observationId", "sessionId", "datasetRunId"
        )
        return envelope.id, _score_event(envelope, body)
    observation = _observation_type(envelope.type, envelope.body)
    if observation is None:
        raise EventError(400, "Invalid request data", f"unsupported event type {envelope.type!r}")
    obs_type, update = observation
    body = _blank_as_absent(_convert(envelope.body, ObservationBody), "parentObservationId", "promptName")
    if envelope.type in _PLAIN_EVENT_TYPES:  # its schema's fields only (legacy observation-* events keep all)
        body = msgspec.structs.replace(body, **_GENERATION_ONLY)
    return envelope.id, _observation_event(envelope, body, obs_type, update)
