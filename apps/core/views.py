"""The locked base for console views.

`ConsoleView.dispatch` is the one place that signs the user in, resolves `Access` from the
URL (`org_id` or `project_id`), answers 404 to non-members and 403 to members lacking the
scope, and turns service errors into messages. Subclasses declare `level` and scopes, and
may not override `dispatch`/`setup`; a view without scopes fails at import time.
"""

from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.views import View

from apps.core.access import Access, project_access, user_access
from apps.core.auth import client_ip
from apps.core.errors import Forbidden, LangOpsError, NotFound
from apps.core.roles import ALL_SCOPES

_SAFE = {"GET", "HEAD", "OPTIONS"}


class ConsoleView(View):
    # "project" (URL has project_id), "organization" (org_id) or "user" (signed in, no tenant).
    level: ClassVar[str] = "project"
    # Resource name: GET needs "<scope>:read", other methods "<scope>:write" ...
    scope: ClassVar[str | None] = None
    # ... unless a method is listed here with its own scope.
    scopes: ClassVar[dict[str, str]] = {}
    access: Access | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("dispatch", "setup"):
            if name in cls.__dict__:
                raise ImproperlyConfigured(f"{cls.__name__} must not override {name}(); tenancy is enforced there")
        if cls.level not in ("project", "organization", "user"):
            raise ImproperlyConfigured(f"{cls.__name__}.level must be project, organization or user")
        if cls.level == "user":
            return
        for method in cls.handled_methods():
            needed = cls.required_scope(method)
            if needed is None:
                raise ImproperlyConfigured(f"{cls.__name__} declares no scope for {method}")
            if needed not in ALL_SCOPES:
                raise ImproperlyConfigured(f"{cls.__name__} uses unknown scope {needed!r} for {method}")

    @classmethod
    def handled_methods(cls) -> list[str]:
        return [m.upper() for m in cls.http_method_names if m != "options" and hasattr(cls, m)]

    @classmethod
    def required_scope(cls, method: str) -> str | None:
        method = method.upper()
        if method in cls.scopes:
            return cls.scopes[method]
        if cls.scope is None:
            return None
        return f"{cls.scope}:read" if method in _SAFE else f"{cls.scope}:write"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.access = self._resolve_access(request, kwargs)
        request.access = self.access
        try:
            return super().dispatch(request, *args, **kwargs)
        except Forbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except LangOpsError as exc:
            if request.method in _SAFE:  # bad query parameters: redirecting would ask again
                return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
            # Bad input on a form post: say why and change nothing.
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.get_full_path())

    def _resolve_access(self, request: HttpRequest, kwargs: dict[str, Any]) -> Access | None:
        if self.level == "user":
            return None
        ip = client_ip(request)
        if self.level == "organization":
            access = user_access(request.user, organization_id=kwargs["org_id"], ip=ip)
        else:
            access = project_access(request.user, project_id=kwargs["project_id"], ip=ip)
        if access is None:
            raise Http404("Not found")
        needed = self.required_scope(request.method)
        if needed is not None and not access.has(needed):
            raise PermissionDenied("Your role does not allow this")
        return access
