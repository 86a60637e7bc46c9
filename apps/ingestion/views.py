"""DRF endpoints of the write path: /ingestion, /scores, OTLP and the legacy single-object routes."""

import logging
import re
import uuid
from functools import cache
from typing import Any

import msgspec
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.access import Access
from apps.core.drf import TenantAPIView
from apps.core.errors import ServiceUnavailable
from apps.core.unicode import replace_lone_surrogates
from apps.ingestion.batch_split import split_batch
from apps.ingestion.body import PayloadTooLarge, drain_body, read_body
from apps.ingestion.health import record_outcomes, rejection
from apps.ingestion.otel_decode import OtelDecodeError, decode_json, decode_protobuf
from apps.ingestion.otel_mapping import spans_to_events
from apps.ingestion.ratelimit import check_rate_limit
from apps.ingestion.services import BatchOutcome, ingest_batch, record_batch_outcome, write_isolating_bad_events

logger = logging.getLogger("langops.ingestion")


class _Batch(msgspec.Struct):
    batch: list[Any]
    metadata: Any = None


_ENVELOPE_ID = re.compile(rb'^\s*\{\s*"id"\s*:\s*"([^"\\]{1,800})"')


def _decode_elements(body: bytes) -> list[Any] | None:
    """Each event decoded on its own; one that cannot be decoded becomes a marker the validator rejects."""
    elements = split_batch(body)
    if elements is None:
        return None
    decoded: list[Any] = []
    for element in elements:
        try:
            decoded.append(msgspec.json.decode(element))
        except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
            # Report it under its envelope id when one is visible near the start.
            match = _ENVELOPE_ID.search(element[:2048])
            decoded.append(
                {
                    "id": match.group(1).decode(errors="replace") if match else "unknown",
                    "type": "undecodable",
                    "body": {},
                }
            )
    return decoded


def write_unavailable() -> ServiceUnavailable:
    """The error to raise when the database refuses a write (503 with Retry-After; nothing was
    acknowledged). Called in the `except` block, so the log has the cause."""
    logger.exception("ingestion write failed; nothing acknowledged")
    return ServiceUnavailable("Service Unavailable: the write could not be stored, retry later")


def _invalid(detail: str) -> Response:
    return Response({"message": "Invalid request data", "errors": [detail]}, status=400)


class WritePathView(TenantAPIView):
    """Steps shared by the write endpoints: the project's rate limit, bounded bodies, health records."""

    def limited(self) -> Response | None:
        return check_rate_limit(self.access)

    def body(self, request: Request, limit: int) -> bytes:
        try:
            return read_body(request._request, limit=limit)
        except PayloadTooLarge as exc:
            self.record(
                {("oversize", ""): 1},
                [rejection(outcome="oversize", status=413, reason=exc.message, path=request.path)],
            )
            raise

    def rejected(self, request: Request, reason: str, raw: Any = None) -> None:
        self.record(
            {("rejected", reason[:200]): 1},
            [rejection(outcome="rejected", status=400, reason=reason, raw=raw, path=request.path)],
        )

    def json_payload(self, request: Request, limit: int) -> Any:
        """The request's JSON after the rate limit and size checks, or the Response refusing it."""
        if (limited := self.limited()) is not None:
            return limited
        body = replace_lone_surrogates(self.body(request, limit))
        try:
            return msgspec.json.decode(body)
        except (msgspec.DecodeError, RecursionError, UnicodeDecodeError) as exc:
            self.rejected(request, f"Invalid request data: {exc}")
            return _invalid(str(exc))

    def record(self, counts: dict[tuple[str, str], int], samples: list | None = None) -> None:
        key = self.access.api_key
        record_outcomes(
            project_id=self.access.project.id, api_key_id=key.id if key else None, counts=counts, rejections=samples
        )


class IngestionView(WritePathView):
    """POST /api/public/ingestion: always 207 with per-event results keyed by envelope id."""

    # Score creation is the least any caller needs; other event types are checked per event.
    scopes = {"POST": "scores:write"}
    bearer_methods = frozenset({"POST"})
    # Langfuse's answer to an organization key here (other project routes answer 403).
    organization_key_message = "Missing projectId in scope. Are you using an organization key?"

    def post(self, request: Request) -> Response:
        if (limited := self.limited()) is not None:
            return limited
        body = replace_lone_surrogates(self.body(request, settings.INGESTION_MAX_BODY_BYTES))
        try:
            batch = msgspec.json.decode(body, type=_Batch).batch
        except RecursionError:
            batch = _decode_elements(body)  # one event nests too deeply: keep the others
            if batch is None:
                self.rejected(request, "Invalid request data: nesting too deep")
                return _invalid("JSON nests too deeply")
        except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as exc:
            self.rejected(request, f"Invalid request data: {exc}", body[:2000].decode("utf-8", "replace"))
            return _invalid(str(exc))
        try:
            outcome = ingest_batch(access=self.access, batch=batch)
        except DatabaseError as exc:
            raise write_unavailable() from exc
        return Response(outcome.as_response(), status=207)


class ScoresView(WritePathView):
    """POST /api/public/scores: one score object (200 {id}) or an array (202 / 207, SDK v5)."""

    scopes = {"POST": "scores:write"}
    bearer_methods = frozenset({"POST"})

    def post(self, request: Request) -> Response:
        payload = self.json_payload(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if isinstance(payload, Response):
            return payload
        items = payload if isinstance(payload, list) else [payload]
        if not all(isinstance(item, dict) for item in items):
            self.rejected(request, "Invalid request data: expected score objects", payload)
            return _invalid("expected a score object or an array of score objects")
        batch = [_score_event(item, index) for index, item in enumerate(items)]
        try:
            outcome = ingest_batch(access=self.access, batch=batch)
        except DatabaseError as exc:
            raise write_unavailable() from exc
        if not isinstance(payload, list):
            return single_result(outcome, batch[0]["body"]["id"])
        return _array_response(outcome)


_create_scores = ScoresView.as_view()


@cache
def _list_scores() -> Any:
    """The public API's view of `GET /scores` (`apps.scores.api.score_list_v1`), which the URL
    configuration never reaches on its own: this route owns the path."""
    from langops.api import api

    return next(p.callback for p in api.urls[0] if str(p.pattern) == "scores")


@csrf_exempt
def scores_route(request: HttpRequest) -> HttpResponse:
    """`/api/public/scores`: POST creates scores (ScoresView, DRF); GET is the score list of SDK 2.x
    (`api.score.get`, Langfuse's v1 list), served by the public API like the other reads."""
    if request.method == "GET":
        return _list_scores()(request)
    return _create_scores(request)


scores_route.view_class = ScoresView  # as on `as_view()`: what route inventories see behind the path


def _score_event(item: dict[str, Any], index: int) -> dict[str, Any]:
    """Wrap a bare score into a score-create event (the score's own timestamp orders it)."""
    body = dict(item)
    body.setdefault("id", uuid.uuid4().hex[:16])
    timestamp = body.get("timestamp") or timezone.now().isoformat()
    return {"id": f"score-{body['id']}-{index}", "type": "score-create", "timestamp": timestamp, "body": body}


def single_result(outcome: BatchOutcome, entity_id: str) -> Response:
    """The answer of the single-object routes: the first error, or the stored id."""
    if outcome.errors:
        error = outcome.errors[0]
        return Response({"message": error["message"], "error": error["error"]}, status=error["status"])
    return Response({"id": entity_id}, status=200)


def _array_response(outcome: BatchOutcome) -> Response:
    if not outcome.errors:
        return Response({"message": "Accepted"}, status=202)
    return Response(
        {
            "accepted": len(outcome.successes),
            "rejected": len(outcome.errors),
            "errors": [{"message": f"{e['message']}: {e['error']}"} for e in outcome.errors],
        },
        status=207,
    )


_LEGACY = {
    ("generations", "POST"): ("generation-create", "id"),
    ("generations", "PATCH"): ("generation-update", "generationId"),
    ("spans", "POST"): ("span-create", "id"),
    ("spans", "PATCH"): ("span-update", "spanId"),
    ("events", "POST"): ("event-create", "id"),
}


class LegacyObjectView(WritePathView):
    """The single-object routes of SDKs before the batch endpoint, translated into events."""

    scopes = {"POST": "traces:write", "PATCH": "traces:write"}
    resource = ""

    def post(self, request: Request) -> Response:
        return self._ingest(request)

    def patch(self, request: Request) -> Response:
        return self._ingest(request)

    def _ingest(self, request: Request) -> Response:
        key = (self.resource, request.method.upper())
        if key not in _LEGACY:
            return Response({"message": "Method not allowed", "error": "MethodNotAllowedError"}, status=405)
        event_type, id_field = _LEGACY[key]
        payload = self.json_payload(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if isinstance(payload, Response):
            return payload
        if not isinstance(payload, dict):
            self.rejected(request, "Invalid request data: expected a JSON object", payload)
            return _invalid("expected a JSON object")
        payload = dict(payload)
        payload["id"] = payload.pop(id_field, None) or payload.get("id")
        if request.method.upper() == "PATCH" and not payload["id"]:  # an update names what it updates
            self.rejected(request, f"Invalid request data: {id_field} is required", payload)
            return _invalid(f"{id_field} is required")
        if self.resource == "generations":  # the SDKs of this route named them prompt and completion
            for old, new in (("prompt", "input"), ("completion", "output")):
                if old in payload:
                    payload[new] = payload.pop(old)
        return ingest_one(self.access, event_type, payload)


def ingest_one(access: Access, event_type: str, body: dict[str, Any]) -> Response:
    """A legacy single-object write as one event (an id made when the body has none): the stored
    id, the event's error, or 503."""
    body["id"] = body.get("id") or str(uuid.uuid4())
    event = {"id": str(uuid.uuid4()), "type": event_type, "timestamp": timezone.now().isoformat(), "body": body}
    try:
        outcome = ingest_batch(access=access, batch=[event])
    except DatabaseError as exc:
        raise write_unavailable() from exc
    return single_result(outcome, body["id"])


class OtelTracesView(WritePathView):
    """POST /api/public/otel/v1/traces: OTLP/HTTP protobuf or JSON, optionally gzip, chunked."""

    scopes = {"POST": "traces:write"}

    def post(self, request: Request) -> HttpResponse:
        content_type = request.content_type or ""
        protobuf = "application/x-protobuf" in content_type
        if not protobuf and "application/json" not in content_type:
            self.rejected(request, f"Invalid content type: {content_type[:100]}")
            return Response({"error": "Invalid content type"}, status=400)
        version = request.headers.get("x-langfuse-ingestion-version")
        if version is not None and (not version.strip().isdigit() or int(version) > 4):
            self.rejected(request, f"Unsupported x-langfuse-ingestion-version: {version[:20]}")
            return Response({"error": f"Unsupported x-langfuse-ingestion-version: {version}"}, status=400)
        if (limited := self.limited()) is not None:
            return limited
        body = self.body(request, settings.OTEL_MAX_BODY_BYTES)
        try:
            spans = decode_protobuf(body) if protobuf else decode_json(body)
        except OtelDecodeError as exc:
            self.rejected(request, str(exc))
            return Response({"error": str(exc)}, status=400)
        outcome = BatchOutcome()
        if spans:
            # Like the batch endpoint: a value the database refuses rejects its own span (counted in
            # ingestion health), not the request, which the exporter would otherwise resend forever.
            events, rejected = spans_to_events(spans, received=timezone.now())
            for item in rejected:
                message = "Invalid request data" if item.status == 400 else "Internal error"
                outcome.errors.append(
                    {"id": item.span.span_id[:100], "status": item.status, "message": message, "error": item.reason}
                )
                outcome.rejected_raw.append({"spanId": item.span.span_id[:100], "traceId": item.span.trace_id[:100]})
            try:
                stored = write_isolating_bad_events(self.access, [(e.envelope_id, e) for e in events], outcome)
            except DatabaseError as exc:
                raise write_unavailable() from exc
            # Accepted counts spans (their observations), as before; implied trace events are not spans.
            outcome.successes = [{"id": e.envelope_id, "status": 201} for _, e in stored if e.kind == "observation"]
            record_batch_outcome(access=self.access, outcome=outcome)
        return _otlp_response(len(outcome.errors), protobuf)


def _otlp_response(rejected: int, protobuf: bool) -> HttpResponse:
    """OTLP's answer: success, or a partial success naming how many spans were not stored."""
    message = f"{rejected} span(s) rejected; the project's ingestion health page lists why" if rejected else ""
    if protobuf:
        response = ExportTraceServiceResponse()
        if rejected:
            response.partial_success.rejected_spans = rejected
            response.partial_success.error_message = message
        return HttpResponse(response.SerializeToString(), content_type="application/x-protobuf")
    if rejected:
        return Response({"partialSuccess": {"rejectedSpans": str(rejected), "errorMessage": message}}, status=200)
    return Response({}, status=200)


class OtelMetricsView(TenantAPIView):
    """POST /api/public/otel/v1/metrics: accepted and ignored, so metric exporters stay quiet."""

    scopes = {"POST": "traces:write"}

    def post(self, request: Request) -> HttpResponse:
        drain_body(request._request, limit=settings.OTEL_MAX_BODY_BYTES)  # keeps the connection alive
        if "application/x-protobuf" in (request.content_type or ""):
            return HttpResponse(b"", content_type="application/x-protobuf")
        return Response({"message": "OK"}, status=200)
