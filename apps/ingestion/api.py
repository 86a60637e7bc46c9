"""The one legacy write route that shares its path with the typed read API: POST /traces.

Older SDKs create traces with `POST /api/public/traces`, where `GET` lists them; Django routes a
path to a single view, so apps.traces.api registers this handler on the router that serves the
reads of that path.
"""

import uuid
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Body, Status

from apps.core.errors import LangOpsError
from apps.ingestion.services import ingest_batch


class ServiceUnavailable(LangOpsError):
    status = 503
    error = "ServiceUnavailableError"
    default_message = "Service Unavailable: the write could not be stored, retry later"


def legacy_trace_create(request: HttpRequest, body: Body[dict[str, Any]]):
    payload = dict(body)
    payload["id"] = payload.get("id") or str(uuid.uuid4())
    event = {"id": str(uuid.uuid4()), "type": "trace-create", "timestamp": timezone.now().isoformat(), "body": payload}
    try:
        outcome = ingest_batch(access=request.auth, batch=[event])
    except DatabaseError as exc:
        raise ServiceUnavailable() from exc
    if outcome.errors:
        error = outcome.errors[0]
        return Status(400, {"message": error["message"], "error": error["error"]})
    return Status(200, {"id": payload["id"]})
