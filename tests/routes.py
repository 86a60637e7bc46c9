"""Discovery of every console URL and public API operation, for the coverage and contract tests."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from apps.core.api import PUBLIC, ApiKeyAuth
from apps.core.drf import TenantAPIView
from apps.core.views import ConsoleView
from langops.api import api

# Reviewed: reachable without the tenancy bases, and why.
PUBLIC_URL_NAMES = {
    "accounts:login": "sign-in form",
    "accounts:signup": "sign-up form",
    "accounts:logout": "ends the caller's own session",
    "set_language": "Django's language switch (cookie only)",
    "public_api:openapi-json": "the published API description",
    "public_api:openapi-view": "interactive API docs page",
    "public_api:api-root": "ninja's index of the API",
    "media_blob": "local presigned media URL: a signed, expiring token names one object and operation",
    "api_not_found": "JSON 404 for /api/public/ paths no route serves (reveals nothing)",
}
PUBLIC_OPERATIONS = {("GET", "/health")}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    view_class: type | None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    scope: str
    auth: object | None


def _walk(patterns, prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, [namespace, entry.namespace])) or None
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Route(name, prefix + str(entry.pattern), getattr(entry.callback, "view_class", None))


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def console_routes() -> list[Route]:
    return [r for r in all_routes() if r.view_class is not None and issubclass(r.view_class, ConsoleView)]


def drf_routes() -> list[Route]:
    return [r for r in all_routes() if r.view_class is not None and issubclass(r.view_class, TenantAPIView)]


def api_operations() -> list[Operation]:
    operations = []
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                auth = next((a for a in operation.auth_callbacks if isinstance(a, ApiKeyAuth)), None)
                scope = (operation.openapi_extra or {}).get("x-langops-scope")
                for method in operation.methods:
                    operations.append(Operation(method, path, scope, auth))
    return operations


def api_url_names() -> set[str]:
    names = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                names.add(f"public_api:{getattr(operation, 'url_name', '') or operation.view_func.__name__}")
    return names


__all__ = ["PUBLIC", "PUBLIC_OPERATIONS", "PUBLIC_URL_NAMES", "all_routes", "api_operations", "console_routes"]
