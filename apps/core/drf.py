"""The locked base for DRF endpoints (the ingestion write path).

`TenantAPIView` authenticates the API key, resolves `Access` and checks the declared scope
for the request method before any handler runs; subclasses read `self.access`. A subclass
without scopes, or one that overrides the enforcement hooks, fails at import time.
"""

from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import APIException, MethodNotAllowed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.access import Access
from apps.core.auth import authenticate_api_key
from apps.core.errors import LangOpsError, Unauthorized
from apps.core.roles import ALL_SCOPES

_LOCKED = ("initial", "dispatch", "check_permissions", "perform_authentication")


class TenantAPIView(APIView):
    # {"POST": "traces:write"}: every method the view implements must appear here.
    scopes: ClassVar[dict[str, str]] = {}
    # Methods that accept `Authorization: Bearer <public key>` (score creation only).
    bearer_methods: ClassVar[frozenset[str]] = frozenset()
    # When set, an organization key is refused with 401 and this message instead of the usual 403.
    organization_key_message: ClassVar[str] = ""
    access: Access

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _LOCKED:
            if name in cls.__dict__:
                raise ImproperlyConfigured(f"{cls.__name__} must not override {name}(); tenancy is enforced there")
        handlers = {m.upper() for m in cls.http_method_names if m not in ("options", "head") and hasattr(cls, m)}
        if not handlers:
            return
        missing = handlers - set(cls.scopes)
        if missing:
            raise ImproperlyConfigured(f"{cls.__name__} declares no scope for {sorted(missing)}")
        unknown = set(cls.scopes.values()) - ALL_SCOPES
        if unknown:
            raise ImproperlyConfigured(f"{cls.__name__} uses unknown scopes {sorted(unknown)}")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        method = request.method.upper()
        if method == "OPTIONS":
            return
        if method not in self.scopes:  # before authentication: a wrong method is 405 for anyone
            raise MethodNotAllowed(method)
        access = authenticate_api_key(request._request, allow_bearer=method in self.bearer_methods)
        if self.organization_key_message and access.api_key.is_organization_key:
            raise Unauthorized(self.organization_key_message)
        access.require(self.scopes[method])
        self.access = access


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Langfuse's `{message, error}` body for our errors and DRF's own."""
    if isinstance(exc, LangOpsError):
        return Response({"message": exc.message, "error": exc.error}, status=exc.status, headers=exc.headers)
    response = drf_exception_handler(exc, context)
    if isinstance(exc, MethodNotAllowed):  # Langfuse's words for it
        response.data = {"message": "Method not allowed", "error": "MethodNotAllowedError"}
    elif response is not None and isinstance(exc, APIException):
        response.data = {"message": str(exc.detail), "error": type(exc).__name__}
    return response
