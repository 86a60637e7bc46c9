"""Public API middleware: body size limits answered as Langfuse does (413 with a JSON reason),
and ingestion-health notes for requests refused before any view runs."""

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

_PUBLIC_API = "/api/public/"


def _limit_for(path: str) -> int:
    for prefix, limit in getattr(settings, "PUBLIC_API_BODY_LIMITS", {}).items():
        if path.startswith(prefix):
            return limit
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _too_large(limit: int) -> JsonResponse:
    return JsonResponse(
        {"message": f"Request body exceeds the limit of {limit} bytes", "error": "PayloadTooLargeError"}, status=413
    )


class PublicApiBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(_PUBLIC_API):
            limit = _limit_for(request.path)
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse({"message": "Invalid Content-Length", "error": "InvalidRequestError"}, status=400)
            if length > limit:
                _note(request, "oversize", f"body of {length} bytes over the {limit} byte limit", 413)
                return _too_large(limit)
        response = self.get_response(request)
        # A valid key on a path that does not exist (say LANGFUSE_HOST with a wrong suffix) is worth telling.
        if (
            response.status_code == 404
            # no such endpoint (not an unknown id on a real one), JSON-answered or not
            and (request.resolver_match is None or request.resolver_match.url_name == "api_not_found")
            and "/api/public/" in request.path
            and request.headers.get("Authorization", "").lower().startswith("basic")
        ):
            _note_wrong_path(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig) and request.path.startswith(_PUBLIC_API):
            _note(request, "oversize", "body over the limit", 413)
            return _too_large(_limit_for(request.path))
        return None


def _note(request: HttpRequest, outcome: str, reason: str, status: int) -> None:
    """Ingestion health for requests refused before authentication, attributed by their public key."""
    from apps.core.auth import parse_authorization
    from apps.core.errors import Unauthorized
    from apps.ingestion.health import record_for_public_key

    try:
        _scheme, public_key, _secret = parse_authorization(request.headers.get("Authorization", ""))
    except Unauthorized:
        return
    record_for_public_key(public_key=public_key, outcome=outcome, reason=reason, path=request.path, status=status)


def _note_wrong_path(request: HttpRequest) -> None:
    """A valid key calling a path that does not exist: usually LANGFUSE_HOST with a wrong suffix."""
    from apps.core.auth import authenticate_api_key
    from apps.core.errors import LangOpsError
    from apps.ingestion.health import record_outcomes, rejection, sample_due

    try:
        access = authenticate_api_key(request)
    except LangOpsError:
        return
    if access.project is None:
        return
    reason = f"no endpoint at {request.method} {request.path[:200]}"
    record_outcomes(
        project_id=access.project.id,
        api_key_id=access.api_key.id,
        counts={("wrong_path", reason): 1},
        rejections=[rejection(outcome="wrong_path", status=404, reason=reason, path=request.path)]
        if sample_due(access.api_key.id, "wrong_path")
        else None,
    )
