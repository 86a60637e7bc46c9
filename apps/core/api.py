"""The locked base for the typed public API (django-ninja).

Every operation is declared through `TenantRouter` with a `scope`: the router attaches the
API-key authentication that resolves `Access` and checks that scope, so handlers receive
`request.auth` already checked. An operation without a scope fails at import time; the only
way around it is `scope=PUBLIC`, which the route-coverage test checks against a short list.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja import Router
from ninja.security.http import HttpBasicAuth

from apps.core.access import Access
from apps.core.auth import authenticate_api_key
from apps.core.roles import ALL_SCOPES

PUBLIC = "public"


class ApiKeyAuth(HttpBasicAuth):
    """Basic pk:sk (optionally Bearer pk) that must grant `scope`."""

    def __init__(self, scope: str, *, allow_bearer: bool = False) -> None:
        super().__init__()
        self.scope = scope
        self.allow_bearer = allow_bearer

    def __call__(self, request: HttpRequest) -> Access:
        access = authenticate_api_key(request, allow_bearer=self.allow_bearer)
        access.require(self.scope)
        return access

    def authenticate(self, request: HttpRequest, username: str, password: str) -> Any:  # pragma: no cover
        raise NotImplementedError  # __call__ does the whole job


class TenantRouter(Router):
    def api_operation(self, methods: list[str], path: str, *, scope: str | None = None, **kwargs: Any):
        if scope is None:
            raise ImproperlyConfigured(f"{methods} {path}: every public API operation declares a scope")
        if scope == PUBLIC:
            kwargs["auth"] = None
        else:
            if scope not in ALL_SCOPES:
                raise ImproperlyConfigured(f"{methods} {path}: unknown scope {scope!r}")
            kwargs["auth"] = ApiKeyAuth(scope, allow_bearer=kwargs.pop("allow_bearer", False))
        kwargs["openapi_extra"] = {**(kwargs.get("openapi_extra") or {}), "x-langops-scope": scope}
        return super().api_operation(methods, path, **kwargs)

    def get(self, path: str, **kwargs: Any):
        return self.api_operation(["GET"], path, **kwargs)

    def post(self, path: str, **kwargs: Any):
        return self.api_operation(["POST"], path, **kwargs)

    def put(self, path: str, **kwargs: Any):
        return self.api_operation(["PUT"], path, **kwargs)

    def patch(self, path: str, **kwargs: Any):
        return self.api_operation(["PATCH"], path, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self.api_operation(["DELETE"], path, **kwargs)

    def add_router(self, *args: Any, **kwargs: Any) -> None:
        raise ImproperlyConfigured("Mount tenant routers on the API itself, not inside each other")
