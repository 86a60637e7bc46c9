"""Every URL and API operation is behind a tenancy base, or on the short reviewed allow-list."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from ninja.errors import ConfigError

from apps.core.api import ApiKeyAuth, TenantRouter
from apps.core.drf import TenantAPIView
from apps.core.views import ConsoleView
from tests import routes

pytestmark = pytest.mark.core


def test_every_url_pattern_is_covered():
    api_names = routes.api_url_names()
    uncovered = []
    for route in routes.all_routes():
        view_class = route.view_class
        if view_class is not None and issubclass(view_class, (ConsoleView, TenantAPIView)):
            continue
        if route.name in api_names or route.name in routes.PUBLIC_URL_NAMES:
            continue
        uncovered.append(f"{route.name} ({route.pattern})")
    assert uncovered == [], "URLs outside the tenancy bases and the allow-list: " + ", ".join(uncovered)


def test_every_api_operation_declares_a_scope_and_authenticates():
    problems = []
    for op in routes.api_operations():
        if (op.method, op.path) in routes.PUBLIC_OPERATIONS:
            if op.scope != routes.PUBLIC or op.auth is not None:
                problems.append(f"{op.method} {op.path} is allow-listed but not declared public")
            continue
        if not isinstance(op.auth, ApiKeyAuth) or op.auth.scope != op.scope:
            problems.append(f"{op.method} {op.path} is not behind ApiKeyAuth with its declared scope")
    assert problems == []


def test_every_openapi_operation_carries_its_scope(client):
    document = client.get("/api/public/openapi.json").json()
    operations = [(m.upper(), p, o) for p, item in document["paths"].items() for m, o in item.items()]
    assert len(operations) == len(routes.api_operations())
    for method, path, operation in operations:
        assert operation.get("x-langops-scope"), f"{method} {path} has no scope in the OpenAPI document"


def test_console_view_without_scope_fails_at_import_time():
    with pytest.raises(ImproperlyConfigured):

        class Unscoped(ConsoleView):
            def get(self, request, project_id):  # pragma: no cover
                return None


def test_console_view_may_not_override_dispatch():
    with pytest.raises(ImproperlyConfigured):

        class Sneaky(ConsoleView):
            scope = "project"

            def dispatch(self, request, *args, **kwargs):  # pragma: no cover
                return None


def test_console_view_with_unknown_scope_fails():
    with pytest.raises(ImproperlyConfigured):

        class Typo(ConsoleView):
            scopes = {"GET": "projcts:read"}

            def get(self, request, project_id):  # pragma: no cover
                return None


def test_drf_view_without_scope_fails_at_import_time():
    with pytest.raises(ImproperlyConfigured):

        class Unscoped(TenantAPIView):
            def post(self, request):  # pragma: no cover
                return None


def test_drf_view_may_not_override_initial():
    with pytest.raises(ImproperlyConfigured):

        class Sneaky(TenantAPIView):
            scopes = {"POST": "traces:write"}

            def initial(self, request, *args, **kwargs):  # pragma: no cover
                return None


def test_router_operation_without_scope_fails_at_import_time():
    router = TenantRouter()
    with pytest.raises((ImproperlyConfigured, ConfigError)):

        @router.get("/x")
        def handler(request):  # pragma: no cover
            return None


def test_router_operation_with_unknown_scope_fails():
    router = TenantRouter()
    with pytest.raises(ImproperlyConfigured):

        @router.get("/x", scope="everything:write")
        def handler(request):  # pragma: no cover
            return None
