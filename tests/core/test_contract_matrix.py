"""The contract matrix, generated from the role table (apps/core/roles.py).

For every console view and method: anonymous -> login redirect, a member of another
organization -> 404, every role below the lowest role holding the scope -> 403, and that lowest
role succeeds. For every API operation: no key -> 401, another organization's key -> 404 on its
project-addressed routes, a key of the wrong level -> 403, the right key succeeds.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.messages import constants as message_levels
from django.urls import reverse

from apps.core.access import system_access
from apps.core.roles import ORGANIZATION_KEY_SCOPES, PROJECT_KEY_SCOPES, ROLE_RANK, Role, lowest_role_with
from apps.organizations.services import invite_create
from apps.projects.models import ProjectMembership
from tests import routes
from tests.conftest import Tenant, client_for
from tests.ingestion.helpers import store

pytestmark = pytest.mark.core


@dataclass
class ConsoleCase:
    level: str  # "organization" or "project"
    extra: Callable[[Tenant], dict] = lambda t: {}
    post: Callable[[Tenant], dict] = lambda t: {}


def _invite_id(t: Tenant) -> dict:
    invite, _ = invite_create(access=system_access(t.organization), email="invitee@example.com", role="VIEWER")
    return {"invite_id": invite.id}


def _model_id(t: Tenant) -> dict:
    from apps.costs.models import ModelDefinition

    model = ModelDefinition.objects.create(project_id=t.project.id, model_name="matrix", match_pattern="^m$")
    return {"model_id": model.id}


def _export_job(t: Tenant) -> str:
    from tests.exports.helpers import finished_export

    return finished_export(t.project).id


def _saved_view_id(t: Tenant) -> dict:
    from apps.traces.models import SavedView

    view = SavedView.objects.create(
        project_id=t.project.id, owner=t.users[Role.VIEWER], table="traces", name="matrix", query="errors=1"
    )
    return {"view_id": view.id}


CONSOLE: dict[str, ConsoleCase] = {
    "organizations:detail": ConsoleCase("organization", post=lambda t: {"name": "Created in matrix"}),
    "organizations:settings": ConsoleCase("organization", post=lambda t: {"name": "Renamed org"}),
    "organizations:delete": ConsoleCase("organization", post=lambda t: {"confirm": t.organization.name}),
    "organizations:members": ConsoleCase("organization", post=lambda t: {"email": "new@example.com", "role": "VIEWER"}),
    "organizations:member_role": ConsoleCase(
        "organization", extra=lambda t: {"user_id": t.users[Role.VIEWER].id}, post=lambda t: {"role": "MEMBER"}
    ),
    "organizations:member_remove": ConsoleCase("organization", extra=lambda t: {"user_id": t.users[Role.VIEWER].id}),
    "organizations:invite_revoke": ConsoleCase("organization", extra=_invite_id),
    "organizations:api_keys": ConsoleCase("organization", post=lambda t: {"note": "matrix"}),
    "organizations:api_key_revoke": ConsoleCase("organization", extra=lambda t: {"key_id": t.org_key.id}),
    "organizations:audit": ConsoleCase("organization"),
    "projects:overview": ConsoleCase("project"),
    "projects:settings": ConsoleCase("project", post=lambda t: {"name": "Renamed project"}),
    "projects:delete": ConsoleCase("project", post=lambda t: {"confirm": t.project.name}),
    "projects:members": ConsoleCase("project", post=lambda t: {"user_id": t.users[Role.VIEWER].id, "role": "MEMBER"}),
    "projects:api_keys": ConsoleCase("project", post=lambda t: {"note": "matrix"}),
    "projects:api_key_revoke": ConsoleCase("project", extra=lambda t: {"key_id": t.project_key.id}),
    "projects:models": ConsoleCase(
        "project", post=lambda t: {"model_name": "custom", "match_pattern": "(?i)^custom$", "input_price": "1"}
    ),
    "projects:model_delete": ConsoleCase("project", extra=_model_id),
    "projects:ingestion_health": ConsoleCase("project"),
    "projects:traces": ConsoleCase("project"),
    "projects:saved_view_create": ConsoleCase("project", post=lambda t: {"name": "Errors", "query": "errors=1"}),
    "projects:saved_view_delete": ConsoleCase("project", extra=_saved_view_id),
    "projects:sessions": ConsoleCase("project"),
    "projects:users": ConsoleCase("project"),
    "projects:user": ConsoleCase("project", extra=lambda t: (_api_trace(t), {"user_id": "matrix-user"})[1]),
    "projects:trace_bookmark": ConsoleCase(
        "project", extra=lambda t: (_api_trace(t), {"trace_id": "matrix-trace"})[1], post=lambda t: {"on": "1"}
    ),
    "projects:trace_delete": ConsoleCase(
        "project",
        extra=lambda t: (_api_trace(t), {"trace_id": "matrix-trace"})[1],
        post=lambda t: {"confirm": "delete"},
    ),
    "projects:observations": ConsoleCase("project"),
    "projects:errors": ConsoleCase("project"),
    "projects:session": ConsoleCase("project", extra=lambda t: (_api_trace(t), {"session_id": "matrix-session"})[1]),
    "projects:trace": ConsoleCase("project", extra=lambda t: (_api_trace(t), {"trace_id": "matrix-trace"})[1]),
    "projects:trace_tags": ConsoleCase(
        "project", extra=lambda t: (_api_trace(t), {"trace_id": "matrix-trace"})[1], post=lambda t: {"add": "matrix"}
    ),
    "projects:trace_comment": ConsoleCase(
        "project", extra=lambda t: (_api_trace(t), {"trace_id": "matrix-trace"})[1], post=lambda t: {"content": "hi"}
    ),
    "projects:media": ConsoleCase(
        "project", extra=lambda t: (_api_media(t, uploaded=True), {"media_id": "matrixmedia"})[1]
    ),
    "projects:cost_recompute": ConsoleCase("project", post=lambda t: {"from": "2026-01-01", "to": "2026-02-01"}),
    "projects:exports": ConsoleCase("project"),
    "projects:export_jobs": ConsoleCase("project"),
    "projects:export": ConsoleCase("project", extra=lambda t: {"table": "traces"}, post=lambda t: {"format": "csv"}),
    "projects:export_download": ConsoleCase("project", extra=lambda t: {"job_id": _export_job(t)}),
}
# Views that need a signed-in user but no tenant: only the anonymous check applies.
USER_LEVEL = {"home", "organizations:create", "accounts:password", "invite_accept"}


def _console_matrix() -> list[tuple[str, str]]:
    return sorted(
        (route.name, method)
        for route in routes.console_routes()
        if route.view_class.level != "user"
        for method in route.view_class.handled_methods()
    )


def _url(name: str, t: Tenant) -> str:
    case = CONSOLE[name]
    kwargs = {"org_id": t.organization.id} if case.level == "organization" else {"project_id": t.project.id}
    return reverse(name, kwargs={**kwargs, **case.extra(t)})


def _call(client, method: str, name: str, t: Tenant):
    url = _url(name, t)
    if method == "GET":
        return client.get(url)
    return client.post(url, CONSOLE[name].post(t))


def _required(name: str, method: str) -> str:
    view_class = next(r.view_class for r in routes.console_routes() if r.name == name)
    return view_class.required_scope(method)


def test_matrix_covers_every_console_view():
    names = {r.name for r in routes.console_routes()}
    tenant_views = {r.name for r in routes.console_routes() if r.view_class.level != "user"}
    assert tenant_views == set(CONSOLE)
    assert names - tenant_views == USER_LEVEL


@pytest.mark.parametrize(("name", "method"), _console_matrix())
def test_console_anonymous_is_sent_to_login(name, method, tenant, client):
    response = _call(client, method, name, tenant)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", sorted(USER_LEVEL))
def test_user_level_views_need_login(name, client):
    url = reverse(name, kwargs={"token": "x"} if name == "invite_accept" else None)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("name", "method"), _console_matrix())
def test_console_other_organization_gets_404(name, method, tenant, other_tenant):
    outsider = client_for(other_tenant.users[Role.OWNER])
    assert _call(outsider, method, name, tenant).status_code == 404


@pytest.mark.parametrize(("name", "method"), _console_matrix())
def test_console_roles_below_the_scope_get_403(name, method, tenant):
    minimum = lowest_role_with(_required(name, method))
    below = [role for role in Role if ROLE_RANK[role] < ROLE_RANK[minimum]]
    for role in below:
        response = _call(client_for(tenant.users[role]), method, name, tenant)
        assert response.status_code == 403, f"{role} got {response.status_code}"


@pytest.mark.parametrize(("name", "method"), _console_matrix())
def test_console_lowest_allowed_role_succeeds(name, method, tenant):
    minimum = lowest_role_with(_required(name, method))
    response = _call(client_for(tenant.users[minimum]), method, name, tenant)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert not response["Location"].startswith(reverse("accounts:login"))
    errors = [m for m in response.wsgi_request._messages if m.level == message_levels.ERROR]
    assert errors == []


def test_viewer_holds_no_write_scope():
    """The matrix's "viewer writing gets 403" rests on this property of the role table."""
    from apps.core.roles import scopes_for

    assert not [s for s in scopes_for(Role.VIEWER) if s.endswith((":write", ":create", ":delete", ":owner"))]


# --- Public API -------------------------------------------------------------------------------


@dataclass
class ApiCase:
    body: Callable[[Tenant], dict | None] = lambda t: None
    setup: Callable[[Tenant], None] = lambda t: None
    statuses: set = field(default_factory=lambda: {200})


def _override_viewer(t: Tenant) -> None:
    ProjectMembership.objects.create(project=t.project, user=t.users[Role.VIEWER], role=Role.ADMIN)


API: dict[tuple[str, str], ApiCase] = {
    ("GET", "/projects"): ApiCase(),
    ("POST", "/projects"): ApiCase(body=lambda t: {"name": "Made by a key"}),
    ("PUT", "/projects/{project_id}"): ApiCase(body=lambda t: {"name": "Renamed by a key"}),
    ("DELETE", "/projects/{project_id}"): ApiCase(statuses={202}),
    ("GET", "/projects/{project_id}/apiKeys"): ApiCase(),
    ("POST", "/projects/{project_id}/apiKeys"): ApiCase(body=lambda t: {"note": "from the API"}),
    ("DELETE", "/projects/{project_id}/apiKeys/{key_id}"): ApiCase(),
    ("GET", "/organizations/apiKeys"): ApiCase(),
    ("GET", "/organizations/memberships"): ApiCase(),
    ("PUT", "/organizations/memberships"): ApiCase(
        body=lambda t: {"userId": t.users[Role.VIEWER].id, "role": "MEMBER"}
    ),
    ("DELETE", "/organizations/memberships"): ApiCase(body=lambda t: {"userId": t.users[Role.VIEWER].id}),
    ("GET", "/projects/{project_id}/memberships"): ApiCase(),
    ("PUT", "/projects/{project_id}/memberships"): ApiCase(
        body=lambda t: {"userId": t.users[Role.VIEWER].id, "role": "ADMIN"}
    ),
    ("DELETE", "/projects/{project_id}/memberships"): ApiCase(
        body=lambda t: {"userId": t.users[Role.VIEWER].id}, setup=_override_viewer
    ),
    ("GET", "/organizations/projects"): ApiCase(),
    ("GET", "/models"): ApiCase(),
    ("POST", "/models"): ApiCase(
        body=lambda t: {"modelName": "api-model", "matchPattern": "(?i)^api$", "inputPrice": 1}
    ),
    ("GET", "/models/{model_id}"): ApiCase(setup=lambda t: _api_model(t)),
    ("DELETE", "/models/{model_id}"): ApiCase(setup=lambda t: _api_model(t), statuses={204}),
    ("POST", "/media"): ApiCase(
        body=lambda t: {
            "traceId": "t",
            "contentType": "text/plain",
            "contentLength": 1,
            "sha256Hash": "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=",
            "field": "input",
        }
    ),
    ("PATCH", "/media/{media_id}"): ApiCase(
        setup=lambda t: _api_media(t),
        statuses={204},
        body=lambda t: {"uploadedAt": "2026-11-28T00:00:00Z", "uploadHttpStatus": 200},
    ),
    ("GET", "/media/{media_id}"): ApiCase(setup=lambda t: _api_media(t, uploaded=True)),
    ("GET", "/traces"): ApiCase(setup=lambda t: _api_trace(t)),
    ("POST", "/traces"): ApiCase(body=lambda t: {"id": "legacy-trace", "name": "legacy"}),
    ("GET", "/traces/{trace_id}"): ApiCase(setup=lambda t: _api_trace(t)),
    ("DELETE", "/traces/{trace_id}"): ApiCase(setup=lambda t: _api_trace(t)),
    ("DELETE", "/traces"): ApiCase(setup=lambda t: _api_trace(t), body=lambda t: {"traceIds": ["matrix-trace"]}),
    ("GET", "/observations"): ApiCase(setup=lambda t: _api_trace(t)),
    ("GET", "/observations/{observation_id}"): ApiCase(setup=lambda t: _api_trace(t)),
    ("GET", "/sessions"): ApiCase(setup=lambda t: _api_trace(t)),
    ("GET", "/sessions/{session_id}"): ApiCase(setup=lambda t: _api_trace(t)),
    ("GET", "/v2/observations"): ApiCase(setup=lambda t: _api_trace(t)),
    ("GET", "/metrics/daily"): ApiCase(setup=lambda t: _api_trace(t)),
    ("GET", "/comments"): ApiCase(),
    ("POST", "/comments"): ApiCase(
        body=lambda t: {"projectId": t.project.id, "objectType": "TRACE", "objectId": "x", "content": "hello"}
    ),
    ("GET", "/comments/{comment_id}"): ApiCase(setup=lambda t: _api_comment(t)),
    ("GET", "/v2/scores"): ApiCase(setup=lambda t: _api_score(t)),
    ("GET", "/scores"): ApiCase(setup=lambda t: _api_score(t)),
    ("GET", "/v2/scores/{score_id}"): ApiCase(setup=lambda t: _api_score(t)),
    ("GET", "/scores/{score_id}"): ApiCase(setup=lambda t: _api_score(t)),
    ("DELETE", "/scores/{score_id}"): ApiCase(setup=lambda t: _api_score(t), statuses={204}),
    ("GET", "/v3/scores"): ApiCase(setup=lambda t: _api_score(t)),
}


def _api_score(t: Tenant) -> None:
    raw = {
        "id": "m3",
        "type": "score-create",
        "timestamp": "2026-11-28T12:00:00Z",
        "body": {"id": "matrix-score", "traceId": "matrix-trace", "name": "matrix", "value": 1},
    }
    store(t.project.id, [raw])


def _api_comment(t: Tenant) -> None:
    from apps.scores.models import Comment

    Comment.objects.get_or_create(
        id="matrix-comment",
        defaults={"project_id": t.project.id, "object_type": "TRACE", "object_id": "x", "content": "c"},
    )


def _api_trace(t: Tenant) -> None:

    raw = [
        {
            "id": "m1",
            "type": "trace-create",
            "timestamp": "2026-11-28T12:00:00Z",
            "body": {"id": "matrix-trace", "sessionId": "matrix-session", "userId": "matrix-user"},
        },
        {
            "id": "m2",
            "type": "span-create",
            "timestamp": "2026-11-28T12:00:00Z",
            "body": {"id": "matrix-observation", "traceId": "matrix-trace"},
        },
    ]
    store(t.project.id, raw)


def _api_media(t: Tenant, uploaded: bool = False) -> None:
    from django.utils import timezone

    from apps.media.models import Media

    Media.objects.get_or_create(
        project_id=t.project.id,
        id="matrixmedia",
        defaults={
            "sha256_hash": "x",
            "content_type": "text/plain",
            "content_length": 1,
            "storage_key": "media/x",
            "uploaded_at": timezone.now() if uploaded else None,
            "upload_http_status": 200 if uploaded else None,
        },
    )


def _api_model(t: Tenant) -> None:
    from apps.costs.models import ModelDefinition

    ModelDefinition.objects.get_or_create(
        id="matrix-model", defaults={"project_id": t.project.id, "model_name": "matrix", "match_pattern": "^m$"}
    )


def _api_matrix() -> list[tuple[str, str, str]]:
    return sorted(
        (op.method, op.path, op.scope)
        for op in routes.api_operations()
        if (op.method, op.path) not in routes.PUBLIC_OPERATIONS
    )


def _api_call(client, method: str, path: str, t: Tenant, *, auth: str | None, key_id: str | None = None):
    url = "/api/public" + path.format(
        project_id=t.project.id,
        key_id=key_id or t.project_key.id,
        model_id="matrix-model",
        media_id="matrixmedia",
        trace_id="matrix-trace",
        observation_id="matrix-observation",
        session_id="matrix-session",
        comment_id="matrix-comment",
        score_id="matrix-score",
    )
    case = API[(method, path)]
    body = case.body(t)
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
    return getattr(client, method.lower())(url, **kwargs, **headers)


def _right_key(t: Tenant, scope: str):
    return t.project_key if scope in PROJECT_KEY_SCOPES else t.org_key


def _wrong_key(t: Tenant, scope: str):
    return t.org_key if scope in PROJECT_KEY_SCOPES else t.project_key


def test_matrix_covers_every_api_operation():
    assert {(m, p) for m, p, _ in _api_matrix()} == set(API)


@pytest.mark.parametrize(("method", "path", "scope"), _api_matrix())
def test_api_without_credentials_is_401(method, path, scope, tenant, api_client):
    response = _api_call(api_client, method, path, tenant, auth=None)
    assert response.status_code == 401
    assert "message" in response.json()


@pytest.mark.parametrize(("method", "path", "scope"), _api_matrix())
def test_api_key_of_the_wrong_level_is_403(method, path, scope, tenant, api_client):
    assert (scope in PROJECT_KEY_SCOPES) != (scope in ORGANIZATION_KEY_SCOPES), "each scope has one key level"
    response = _api_call(api_client, method, path, tenant, auth=_wrong_key(tenant, scope).header)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [case for case in _api_matrix() if "{" in case[1]],  # ids of tenant A's objects
)
def test_api_other_organizations_project_is_404(method, path, scope, tenant, other_tenant, api_client):
    API[(method, path)].setup(tenant)
    outsider = _right_key(other_tenant, scope)
    response = _api_call(api_client, method, path, tenant, auth=outsider.header)
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "path", "scope"), _api_matrix())
def test_api_right_key_succeeds(method, path, scope, tenant, api_client):
    API[(method, path)].setup(tenant)
    response = _api_call(api_client, method, path, tenant, auth=_right_key(tenant, scope).header)
    assert response.status_code in API[(method, path)].statuses, response.content


# --- DRF write path ---------------------------------------------------------------------------

_TRACE_EVENT = {"id": "e1", "type": "trace-create", "timestamp": "2026-11-28T12:00:00Z", "body": {"id": "t1"}}
DRF: dict[tuple[str, str], tuple[str, bytes]] = {
    ("ingestion", "POST"): ("application/json", json.dumps({"batch": [_TRACE_EVENT]}).encode()),
    ("scores_create", "POST"): ("application/json", b'{"traceId": "t1", "name": "q", "value": 1}'),
    ("otel_traces", "POST"): ("application/json", b'{"resourceSpans": []}'),
    ("otel_metrics", "POST"): ("application/json", b"{}"),
    ("legacy_generations", "POST"): ("application/json", b'{"id": "g1", "traceId": "t1"}'),
    ("legacy_generations", "PATCH"): ("application/json", b'{"generationId": "g1", "output": "x"}'),
    ("legacy_spans", "POST"): ("application/json", b'{"id": "s1", "traceId": "t1"}'),
    ("legacy_spans", "PATCH"): ("application/json", b'{"spanId": "s1", "output": "x"}'),
    ("legacy_events", "POST"): ("application/json", b'{"id": "v1", "traceId": "t1"}'),
    ("legacy_events", "PATCH"): ("application/json", b"{}"),
}
_DRF_NOT_ALLOWED = {("legacy_events", "PATCH")}
# Langfuse answers an organization key on /ingestion with 401 (saying why), elsewhere with 403.
_DRF_ORGANIZATION_KEY_401 = {("ingestion", "POST")}


def _drf_matrix() -> list[tuple[str, str]]:
    return sorted((r.name, m) for r in routes.drf_routes() for m in r.view_class.scopes)


def _drf_call(client, name: str, method: str, auth: str | None):
    content_type, body = DRF[(name, method)]
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return client.generic(method, reverse(name), body, content_type=content_type, **headers)


def test_matrix_covers_every_drf_endpoint():
    assert set(_drf_matrix()) == set(DRF)


@pytest.mark.parametrize(("name", "method"), _drf_matrix())
def test_drf_without_credentials_is_401(name, method, tenant, api_client):
    assert _drf_call(api_client, name, method, None).status_code == 401


@pytest.mark.parametrize(("name", "method"), _drf_matrix())
def test_drf_organization_key_is_refused(name, method, tenant, api_client):
    expected = 401 if (name, method) in _DRF_ORGANIZATION_KEY_401 else 403
    assert _drf_call(api_client, name, method, tenant.org_key.header).status_code == expected


@pytest.mark.parametrize(("name", "method"), _drf_matrix())
def test_drf_project_key_succeeds(name, method, tenant, api_client):
    response = _drf_call(api_client, name, method, tenant.project_key.header)
    expected = {405} if (name, method) in _DRF_NOT_ALLOWED else {200, 202, 207}
    assert response.status_code in expected, response.content
