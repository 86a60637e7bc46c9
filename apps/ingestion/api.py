"""The one legacy write route that shares its path with the typed read API: POST /traces.

Older SDKs create traces with `POST /api/public/traces`, where `GET` lists them; Django routes a
path to a single view, so apps.traces.api registers this handler on the router that serves the
reads of that path.
"""

from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Body
from rest_framework.response import Response

from apps.ingestion.ratelimit import check_rate_limit
from apps.ingestion.views import ingest_one


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
    return _plain(ingest_one(request.auth, "trace-create", dict(body)))
