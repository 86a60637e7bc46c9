"""The typed public API (django-ninja) under /api/public/, with Langfuse's error shapes."""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from apps.core.errors import LangOpsError
from apps.core.unicode import replace_lone_surrogates


class _Parser(Parser):
    """JSON bodies as every write route reads them: a lone surrogate escape becomes U+FFFD."""

    def parse_body(self, request: HttpRequest) -> Any:
        return json.loads(replace_lone_surrogates(request.body))


api = NinjaAPI(
    title="LangOps public API",
    version="1",
    description="Langfuse-compatible public API. Authenticate with Basic auth: public key as user, secret key as password.",
    urls_namespace="public_api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    parser=_Parser(),
)


def _error(
    request: HttpRequest, status: int, message: str, error: object, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = api.create_response(request, {"message": message, "error": error}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


@api.exception_handler(LangOpsError)
def on_langops_error(request: HttpRequest, exc: LangOpsError) -> HttpResponse:
    return _error(request, exc.status, exc.message, exc.error, exc.headers)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    issues = [
        {"path": [str(part) for part in item.get("loc", [])], "message": item.get("msg", ""), "code": item.get("type")}
        for item in exc.errors
    ]
    return _error(request, 400, "Invalid request data", issues)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "Unauthorized. Confirm that you've configured the correct host.", "UnauthorizedError")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc), "HttpError")


def _mount() -> None:
    from apps.apikeys.api import router as apikeys_router
    from apps.core.health import router as health_router
    from apps.costs.api import router as costs_router
    from apps.media.api import router as media_router
    from apps.organizations.api import router as organizations_router
    from apps.projects.api import router as projects_router
    from apps.scores.api import router as scores_router
    from apps.traces.api import router as traces_router

    api.add_router("", health_router)
    api.add_router("", projects_router)
    api.add_router("", apikeys_router)
    api.add_router("", organizations_router)
    api.add_router("", costs_router)
    api.add_router("", media_router)
    api.add_router("", traces_router)
    api.add_router("", scores_router)


_mount()


def api_not_found(request: HttpRequest) -> HttpResponse:
    """A path under /api/public/ that no route serves: Langfuse's JSON 404 (clients parse the
    body), not the console's HTML page. Answers nothing about the caller's data, so it needs no key."""
    return JsonResponse({"message": "Not found", "error": "LangfuseNotFoundError"}, status=404)
