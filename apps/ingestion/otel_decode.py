"""OTLP/HTTP trace payloads (protobuf or JSON) decoded into plain `OtelSpan` values.

Both encodings end in the same shape, so the mapping to observations is written once.
Anything structurally wrong raises `OtelDecodeError`; attribute values are never a reason to
drop a span (unknown value kinds are kept as their JSON text).
"""

import base64
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from apps.core.unicode import replace_lone_surrogates


class OtelDecodeError(ValueError):
    pass


@dataclass(slots=True)
class OtelSpan:
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    start: datetime
    end: datetime
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope_name: str
    scope_version: str
    scope_attributes: dict[str, Any]
    status_code: int = 0
    status_message: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)


def _nanos_to_datetime(nanos: int) -> datetime:
    return datetime.fromtimestamp(nanos / 1e9, tz=UTC) if nanos else datetime.now(tz=UTC)


def _times(start: int, end: int) -> tuple[datetime, datetime]:
    """Missing start -> end, missing end -> start, both missing -> now; millisecond precision."""
    start = start or end
    end = end or start
    return _millis_datetime(start), _millis_datetime(end)


def _millis_datetime(nanos: int) -> datetime:
    """The moment of `nanos` truncated to the millisecond, in integers (as Langfuse truncates it:
    a float rounds ...615999700 ns up to .616).

    Within the range of OTLP's unsigned 64-bit nanoseconds, computed without `datetime.replace()`
    (slow: a few of these per span are a fifth of decoding): the whole second comes from a cache,
    as a request's spans share few seconds.
    """
    if not 0 < nanos < 2**64:
        moment = _nanos_to_datetime(nanos)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    seconds, millis = divmod(nanos // 1_000_000, 1000)
    return _utc_second(seconds) + _MILLISECONDS[millis]


_MILLISECONDS = tuple(timedelta(milliseconds=ms) for ms in range(1000))


@lru_cache(maxsize=1024)
def _utc_second(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


# --- protobuf --------------------------------------------------------------------------------


def _double(number: float) -> float | str:
    """A double as a number, or as JavaScript prints NaN and the infinities (langfuse-api.md 4.2):
    JSON has no such numbers, and stored as null they would be lost."""
    if math.isfinite(number):
        return number
    return "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")


def _pb_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return _double(value.double_value)
    if kind == "array_value":
        return [_pb_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _pb_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return None


def _pb_attributes(attributes: Any) -> dict[str, Any]:
    # Nearly every attribute is a non-empty string, and a non-empty `string_value` can only be the
    # value that is set: taken at once, without asking which kind it is.
    return {kv.key: kv.value.string_value or _pb_value(kv.value) for kv in attributes}


def _pb_events(events: Any) -> list[dict[str, Any]]:
    return [
        {"name": e.name, "time": _nanos_to_datetime(e.time_unix_nano), "attributes": _pb_attributes(e.attributes)}
        for e in events
    ]


def decode_protobuf(body: bytes) -> list[OtelSpan]:
    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except (DecodeError, ValueError) as exc:
        raise OtelDecodeError("Failed to parse OTel Protobuf Trace") from exc
    spans = []
    for resource_spans in request.resource_spans:
        resource = _pb_attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope
            scope_name, scope_version = scope.name, scope.version
            scope_attributes = _pb_attributes(scope.attributes)
            for span in scope_spans.spans:
                trace_id, span_id = span.trace_id, span.span_id
                if not trace_id or not span_id:
                    raise OtelDecodeError("Every span needs a traceId and a spanId")
                start, end = _times(span.start_time_unix_nano, span.end_time_unix_nano)
                status, events = span.status, span.events
                spans.append(
                    OtelSpan(
                        trace_id=trace_id.hex(),
                        span_id=span_id.hex(),
                        parent_span_id=span.parent_span_id.hex() or None,
                        name=span.name,
                        start=start,
                        end=end,
                        attributes=_pb_attributes(span.attributes),
                        resource=resource,
                        scope_name=scope_name,
                        scope_version=scope_version,
                        scope_attributes=scope_attributes,
                        status_code=status.code,
                        status_message=status.message,
                        events=_pb_events(events) if events else [],
                    )
                )
    return spans


# --- JSON ------------------------------------------------------------------------------------


def _json_int(value: Any) -> int:
    if isinstance(value, dict) and "low" in value:  # protobufjs Long {low, high}
        return (int(value.get("high", 0)) << 32) | (int(value["low"]) & 0xFFFFFFFF)
    if value in (None, ""):
        return 0
    return int(value)


def _json_value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        try:
            return _json_int(value["intValue"])
        except (TypeError, ValueError):
            return str(value["intValue"])
    if "doubleValue" in value:
        try:
            return _double(float(value["doubleValue"]))
        except (TypeError, ValueError):
            return str(value["doubleValue"])
    if "arrayValue" in value:
        return [_json_value(v) for v in (value["arrayValue"] or {}).get("values") or []]
    if "kvlistValue" in value:
        return _json_attributes((value["kvlistValue"] or {}).get("values") or [])
    if "bytesValue" in value:
        return value["bytesValue"]
    return json.dumps(value)


def _json_attributes(attributes: Any) -> dict[str, Any]:
    if attributes is None:
        return {}
    if not isinstance(attributes, list):
        raise OtelDecodeError("attributes must be an array of {key, value}")
    return {str(a.get("key")): _json_value(a.get("value")) for a in attributes if isinstance(a, dict)}


def _json_id(value: Any) -> str:
    """Hex string as is; a Buffer JSON or byte list becomes lowercase hex."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        return bytes(value["data"]).hex()
    if isinstance(value, list):
        return bytes(value).hex()
    return ""


def _array(value: Any, name: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise OtelDecodeError(f"{name} must be an array")
    return value


def decode_json(body: bytes) -> list[OtelSpan]:
    try:
        payload = json.loads(replace_lone_surrogates(body))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise OtelDecodeError("Failed to parse OTel JSON Trace") from exc
    if not isinstance(payload, dict):
        raise OtelDecodeError("Failed to parse OTel JSON Trace")
    spans = []
    try:
        for resource_spans in _array(payload.get("resourceSpans"), "resourceSpans"):
            resource = _json_attributes(((resource_spans or {}).get("resource") or {}).get("attributes"))
            for scope_spans in _array(resource_spans.get("scopeSpans"), "scopeSpans"):
                scope = (scope_spans or {}).get("scope") or {}
                scope_attributes = _json_attributes(scope.get("attributes"))
                for span in _array(scope_spans.get("spans"), "spans"):
                    trace_id, span_id = _json_id(span.get("traceId")), _json_id(span.get("spanId"))
                    if not trace_id or not span_id:
                        raise OtelDecodeError("Every span needs a traceId and a spanId")
                    start, end = _times(
                        _json_int(span.get("startTimeUnixNano")), _json_int(span.get("endTimeUnixNano"))
                    )
                    status = span.get("status") or {}
                    spans.append(
                        OtelSpan(
                            trace_id=trace_id,
                            span_id=span_id,
                            parent_span_id=_json_id(span.get("parentSpanId")) or None,
                            name=str(span.get("name") or ""),
                            start=start,
                            end=end,
                            attributes=_json_attributes(span.get("attributes")),
                            resource=resource,
                            scope_name=str(scope.get("name") or ""),
                            scope_version=str(scope.get("version") or ""),
                            scope_attributes=scope_attributes,
                            status_code=_json_int(status.get("code")),
                            status_message=str(status.get("message") or ""),
                            events=[
                                {
                                    "name": e.get("name"),
                                    "time": _nanos_to_datetime(_json_int(e.get("timeUnixNano"))),
                                    "attributes": _json_attributes(e.get("attributes")),
                                }
                                for e in _array(span.get("events"), "events")
                                if isinstance(e, dict)
                            ],
                        )
                    )
    except (AttributeError, TypeError, ValueError, OverflowError, RecursionError) as exc:
        if isinstance(exc, OtelDecodeError):
            raise
        raise OtelDecodeError(f"Failed to parse OTel JSON Trace: {exc}") from exc
    return spans
