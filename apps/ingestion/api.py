"""The one legacy write route that shares its path with the typed read API: POST /traces.

Older SDKs create traces with `POST /api/public/traces`, where `GET` lists them; Django routes a
path to a single view, so apps.traces.api registers this handler on the router that serves the
reads of that path.
"""

import uuid
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Body
from rest_framework.response import Response

from apps.ingestion.ratelimit import check_rate_limit
from apps.ingestion.services import ingest_batch
from apps.ingestion.views import single_result, unavailable_response


def _plain(response: Response) -> JsonResponse:
    """A DRF answer of the other write routes, as the plain response this ninja route returns."""
    plain = JsonResponse(response.data, status=response.status_code)
    for name, value in response.items():
        if name.lower() != "content-type":
            plain[name] = value
    return plain


def legacy_trace_create(request: HttpRequest, body: Body[dict[str, Any]]):
    """The same path as the other single-object routes: rate limit, one event, 503 + Retry-After."""
    if (limited := check_rate_limit(request.auth)) is not None:
        return _plain(limited)
    payload = dict(body)
    payload["id"] = payload.get("id") or str(uuid.uuid4())
    event = {"id": str(uuid.uuid4()), "type": "trace-create", "timestamp": timezone.now().isoformat(), "body": payload}
    try:
        outcome = ingest_batch(access=request.auth, batch=[event])
    except DatabaseError:
        return _plain(unavailable_response())
    return _plain(single_result(outcome, payload["id"]))
