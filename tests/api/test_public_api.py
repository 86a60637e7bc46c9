"""Public API basics: health, projects, organization API shapes, CORS, OpenAPI, bad input, auth failures."""

import base64
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection

from apps.audit.models import AuditEntry
from apps.core.roles import Role
from apps.projects.models import Project
from apps.traces.models import Trace
from tests.ingestion.helpers import event, post_batch

pytestmark = pytest.mark.core

ISO_Z = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def test_health_needs_no_auth(api_client, db):
    response = api_client.get("/api/public/health")
    assert response.status_code == 200
    assert response.json()["status"] == "OK" and response.json()["version"]


def test_projects_returns_the_keys_project(tenant, api_client):
    response = api_client.get("/api/public/projects", HTTP_AUTHORIZATION=tenant.project_key.header)
    assert response.status_code == 200
    assert response.json() == {
        "data": [
            {
                "id": tenant.project.id,
                "name": tenant.project.name,
                "organization": {"id": tenant.organization.id, "name": tenant.organization.name},
                "metadata": {},
            }
        ]
    }


def test_projects_with_an_organization_key_is_403(tenant, api_client):
    response = api_client.get("/api/public/projects", HTTP_AUTHORIZATION=tenant.org_key.header)
    assert response.status_code == 403
    assert response.json()["message"].startswith("Access denied")


def test_ingestion_with_an_organization_key_is_401_saying_why(tenant, api_client):
    response = post_batch(api_client, tenant.org_key.header, [event("trace-create", {"id": "t"})])
    assert response.status_code == 401
    assert response.json() == {
        "message": "Missing projectId in scope. Are you using an organization key?",
        "error": "UnauthorizedError",
    }
    assert not Trace.objects.filter(project_id=tenant.project.id).exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/public/scores"), ("post", "/api/public/spans"), ("get", "/api/public/traces")],
)
def test_other_project_routes_refuse_an_organization_key_with_403(method, path, tenant, api_client):
    response = getattr(api_client, method)(
        path, {"id": "x"}, content_type="application/json", HTTP_AUTHORIZATION=tenant.org_key.header
    )
    assert response.status_code == 403
    assert response.json()["error"] == "ForbiddenError"


@contextmanager
def _database_down():
    """Every query fails the way it does when PostgreSQL is unreachable."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    with connection.execute_wrapper(refuse):
        yield


@pytest.mark.parametrize(
    "call",
    [
        lambda client, header: post_batch(client, header, [event("trace-create", {"id": "t"})]),
        lambda client, header: client.get("/api/public/traces", HTTP_AUTHORIZATION=header),
    ],
    ids=["POST /ingestion", "GET /traces"],
)
def test_database_down_during_authentication_is_503_with_retry_after(call, tenant, api_client, settings):
    with _database_down():
        response = call(api_client, tenant.project_key.header)
    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable", "error": "ServiceUnavailableError"}
    assert response["Retry-After"] == str(settings.INGESTION_RETRY_AFTER_SECONDS)
    assert not Trace.objects.filter(project_id=tenant.project.id).exists()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Basic",
        "Basic !!!not-base64!!!",
        f"Basic {_b64('no-colon-here')}",
        f"Basic {_b64(':only-secret')}",
        f"Basic {_b64('pk-lf-x:')}",
        "Digest abc",
        f"Basic {base64.b64encode(bytes([0xFF, 0xFE, 0x3A, 0x41])).decode()}",
        f"Basic {_b64('pk-lf-unknown:sk-lf-unknown')}",
        f"Basic {_b64('pk:' + 's' * 5000)}",
        "Bearer pk-lf-not-allowed-here",
    ],
)
def test_bad_credentials_get_401_json(header, tenant, api_client):
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    response = api_client.get("/api/public/projects", **kwargs)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["message"]


def test_colon_inside_secret_is_kept(tenant, api_client):
    """The header is split on the first colon only."""
    from apps.apikeys.services import api_key_create
    from apps.core.access import system_access
    from tests.conftest import basic_auth

    key, secret = api_key_create(
        access=system_access(tenant.organization),
        project=tenant.project,
        public_key="pk-lf-colon",
        secret_key="sk-lf-with:colon:inside-0123456789",
    )
    response = api_client.get("/api/public/projects", HTTP_AUTHORIZATION=basic_auth(key.public_key, secret))
    assert response.status_code == 200


def _post(api_client, path, key, body, method="post"):
    return getattr(api_client, method)(
        f"/api/public{path}", body, content_type="application/json", HTTP_AUTHORIZATION=key.header
    )


def test_create_project_with_organization_key(tenant, api_client):
    response = _post(
        api_client, "/projects", tenant.org_key, {"name": "From API", "metadata": {"team": "ml"}, "retention": 30}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "From API" and body["metadata"] == {"team": "ml"} and body["retentionDays"] == 30
    assert body["organization"]["id"] == tenant.organization.id
    entry = AuditEntry.objects.get(action="project.create", target_id=body["id"])
    assert entry.actor_type == "api_key" and entry.actor_api_key_id == tenant.org_key.id


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"name": "<script>alert(1)</script>"}, 400),
        ({"name": "ab"}, 400),
        ({"name": "x" * 61}, 400),
        ({"name": 12345}, 400),
        ({}, 400),
        ({"name": "Fine name", "retention": 1}, 400),
        ({"name": "Fine name", "metadata": "not an object"}, 400),
        ({"name": "Fine name", "unexpected": True}, 400),
    ],
)
def test_bad_project_input_is_refused_and_changes_nothing(body, status, tenant, api_client):
    before = Project.objects.count()
    response = _post(api_client, "/projects", tenant.org_key, body)
    assert response.status_code == status
    assert response.json()["message"]
    assert Project.objects.count() == before


def test_duplicate_project_name_is_409(tenant, api_client):
    response = _post(api_client, "/projects", tenant.org_key, {"name": tenant.project.name.upper()})
    assert response.status_code == 409
    assert "already exists" in response.json()["message"]


def test_malformed_json_is_400(tenant, api_client):
    response = api_client.post(
        "/api/public/projects", "{not json", content_type="application/json", HTTP_AUTHORIZATION=tenant.org_key.header
    )
    assert response.status_code == 400


def test_oversized_body_is_413(tenant, api_client):
    body = '{"name": "' + "x" * (1024 * 1024 + 10) + '"}'
    response = api_client.post(
        "/api/public/projects", body, content_type="application/json", HTTP_AUTHORIZATION=tenant.org_key.header
    )
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLargeError"


def test_update_and_delete_project(tenant, api_client):
    path = f"/projects/{tenant.project.id}"
    response = _post(api_client, path, tenant.org_key, {"name": "Renamed"}, method="put")
    assert response.status_code == 200 and response.json()["name"] == "Renamed"
    response = api_client.delete(f"/api/public{path}", HTTP_AUTHORIZATION=tenant.org_key.header)
    assert response.status_code == 202
    assert response.json()["success"] is True
    assert api_client.delete(f"/api/public{path}", HTTP_AUTHORIZATION=tenant.org_key.header).status_code == 404


def test_memberships_shapes(tenant, api_client):
    response = api_client.get("/api/public/organizations/memberships", HTTP_AUTHORIZATION=tenant.org_key.header)
    memberships = response.json()["memberships"]
    assert {m["role"] for m in memberships} == {"OWNER", "ADMIN", "MEMBER", "VIEWER"}
    assert all(set(m) == {"userId", "role", "email", "name"} for m in memberships)

    viewer = tenant.users[Role.VIEWER]
    response = _post(
        api_client, "/organizations/memberships", tenant.org_key, {"userId": viewer.id, "role": "MEMBER"}, method="put"
    )
    assert response.json() == {"userId": viewer.id, "role": "MEMBER", "email": viewer.email, "name": viewer.name}

    path = f"/projects/{tenant.project.id}/memberships"
    response = _post(api_client, path, tenant.org_key, {"userId": viewer.id, "role": "ADMIN"}, method="put")
    assert response.json()["role"] == "ADMIN"
    listed = api_client.get(f"/api/public{path}", HTTP_AUTHORIZATION=tenant.org_key.header).json()
    assert listed["memberships"] == [response.json()]
    deleted = _post(api_client, path, tenant.org_key, {"userId": viewer.id}, method="delete")
    assert deleted.json() == {"message": "Membership deleted successfully", "userId": viewer.id}


def test_organization_projects_shape(tenant, api_client):
    response = api_client.get("/api/public/organizations/projects", HTTP_AUTHORIZATION=tenant.org_key.header)
    [project] = response.json()["projects"]
    assert project["id"] == tenant.project.id
    assert set(project) == {"id", "name", "metadata", "createdAt", "updatedAt"}
    import re

    assert re.match(ISO_Z, project["createdAt"])


def test_cors_reflects_the_origin_without_credentials(tenant, api_client):
    response = api_client.options(
        "/api/public/projects",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert response.status_code in (200, 204)
    assert response["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Credentials" not in response
    response = api_client.get(
        "/api/public/projects", HTTP_ORIGIN="https://app.example.com", HTTP_AUTHORIZATION=tenant.project_key.header
    )
    assert response["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_console_is_not_cors_enabled(db, api_client):
    response = api_client.get("/accounts/login/", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in response


def test_openapi_document_and_docs(db, api_client):
    document = api_client.get("/api/public/openapi.json").json()
    assert "/api/public/projects" in document["paths"]
    assert "/api/public/organizations/memberships" in document["paths"]
    assert api_client.get("/api/public/docs").status_code == 200


def test_renamed_project_is_visible_through_a_cached_key(tenant, api_client):
    header = tenant.project_key.header
    assert api_client.get("/api/public/projects", HTTP_AUTHORIZATION=header).json()["data"][0]["name"] == "Project A"
    _post(api_client, f"/projects/{tenant.project.id}", tenant.org_key, {"name": "Project Renamed"}, method="put")
    assert (
        api_client.get("/api/public/projects", HTTP_AUTHORIZATION=header).json()["data"][0]["name"] == "Project Renamed"
    )


@pytest.mark.parametrize("path", ["/api/public/nope", "/api/public/v9/traces", "/api/public/ready/now"])
def test_unknown_public_api_paths_are_json_404(path, tenant, api_client):
    for headers in ({}, {"HTTP_AUTHORIZATION": tenant.project_key.header}):
        response = api_client.get(path, **headers)
        assert response.status_code == 404
        assert response.json() == {"message": "Not found", "error": "LangfuseNotFoundError"}
