"""Body size limits for the public API, answered as Langfuse does (413 with a JSON reason)."""

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
                return _too_large(limit)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig) and request.path.startswith(_PUBLIC_API):
            return _too_large(_limit_for(request.path))
        return None
