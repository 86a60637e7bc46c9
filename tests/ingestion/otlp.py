"""Building OTLP payloads in tests: protobuf through opentelemetry-proto, JSON as the JS SDK sends it."""

import gzip
import json
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Status

NANOS = 1_795_863_032_615_000_000


def any_value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[any_value(v) for v in value]))
    return AnyValue(string_value=str(value))


def protobuf_request(
    spans: list[dict], resource: dict | None = None, scope: str = "langfuse-sdk", scope_version: str = "5.0.4"
) -> bytes:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    for key, value in (resource or {"service.name": "test"}).items():
        resource_spans.resource.attributes.append(KeyValue(key=key, value=any_value(value)))
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = scope
    scope_spans.scope.version = scope_version
    for spec in spans:
        span = scope_spans.spans.add()
        span.trace_id = bytes.fromhex(spec["trace_id"])
        span.span_id = bytes.fromhex(spec["span_id"])
        if spec.get("parent"):
            span.parent_span_id = bytes.fromhex(spec["parent"])
        span.name = spec.get("name", "span")
        span.start_time_unix_nano = NANOS + spec.get("start_ms", 0) * 1_000_000
        span.end_time_unix_nano = NANOS + spec.get("end_ms", 10) * 1_000_000
        if spec.get("error"):
            span.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message=spec["error"]))
        for key, value in spec.get("attributes", {}).items():
            span.attributes.append(KeyValue(key=key, value=any_value(value)))
        for event_spec in spec.get("events", []):
            event = span.events.add()
            event.name = event_spec["name"]
            event.time_unix_nano = NANOS + event_spec.get("time_ms", 0) * 1_000_000
            for key, value in event_spec.get("attributes", {}).items():
                event.attributes.append(KeyValue(key=key, value=any_value(value)))
    return request.SerializeToString()


def json_value(value: Any) -> dict:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [json_value(v) for v in value]}}
    return {"stringValue": str(value)}


def json_request(spans: list[dict]) -> bytes:
    return json.dumps(
        {
            "resourceSpans": [
                {
                    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "node"}}]},
                    "scopeSpans": [
                        {
                            "scope": {"name": "langfuse-sdk", "version": "5.11.1"},
                            "spans": [
                                {
                                    "traceId": s["trace_id"],
                                    "spanId": s["span_id"],
                                    **({"parentSpanId": s["parent"]} if s.get("parent") else {}),
                                    "name": s.get("name", "span"),
                                    "kind": 1,
                                    "startTimeUnixNano": str(NANOS + s.get("start_ms", 0) * 1_000_000),
                                    "endTimeUnixNano": str(NANOS + s.get("end_ms", 10) * 1_000_000),
                                    "attributes": [
                                        {"key": k, "value": json_value(v)} for k, v in s.get("attributes", {}).items()
                                    ],
                                    "events": [],
                                    "status": {"code": 0},
                                }
                                for s in spans
                            ],
                        }
                    ],
                }
            ]
        }
    ).encode()


def post_otlp(client, header: str, body: bytes, *, protobuf: bool = True, compress: bool = False, **extra):
    if compress:
        body = gzip.compress(body)
        extra["HTTP_CONTENT_ENCODING"] = "gzip"
    content_type = "application/x-protobuf" if protobuf else "application/json"
    return client.generic(
        "POST", "/api/public/otel/v1/traces", body, content_type=content_type, HTTP_AUTHORIZATION=header, **extra
    )
