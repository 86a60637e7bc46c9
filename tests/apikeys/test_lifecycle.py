"""API key lifecycle: created, used, revoked, and the next request gets 401."""

import pytest
from django.db import connection
from django.urls import reverse

from apps.apikeys.models import ApiKey
from apps.core.roles import Role
from tests.conftest import basic_auth, client_for

pytestmark = pytest.mark.core


def _projects(api_client, header):
    return api_client.get("/api/public/projects", HTTP_AUTHORIZATION=header)


def test_console_key_lifecycle(tenant, api_client):
    admin = client_for(tenant.users[Role.ADMIN])
    keys_url = reverse("projects:api_keys", args=[tenant.project.id])
    admin.post(keys_url, {"note": "production Dify"})
    page = admin.get(keys_url)
    new_key = page.context["new_key"]
    public, secret = new_key["public_key"], new_key["secret_key"]
    assert public.startswith("pk-lf-") and secret.startswith("sk-lf-")
    assert secret.encode() in page.content
    # Shown once: the next view of the page no longer has it.
    assert secret.encode() not in admin.get(keys_url).content

    key = ApiKey.objects.get(public_key=public)
    assert key.note == "production Dify" and key.last_used_at is None
    header = basic_auth(public, secret)
    response = _projects(api_client, header)
    assert response.status_code == 200
    assert response.json()["data"][0]["id"] == tenant.project.id
    key.refresh_from_db()
    assert key.last_used_at is not None

    admin.post(reverse("projects:api_key_revoke", args=[tenant.project.id, key.id]))
    response = _projects(api_client, header)
    assert response.status_code == 401
    assert response.json()["message"].startswith("Invalid credentials")


def test_secret_is_stored_only_as_a_hash(tenant):
    secret = tenant.project_key.secret_key
    key = ApiKey.objects.get(id=tenant.project_key.id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM apikeys_apikey WHERE id = %s", [key.id])
        row = cursor.fetchone()
    assert not any(secret in str(value) for value in row)
    assert key.display_secret_key.startswith("sk-lf-") and "..." in key.display_secret_key


def test_revocation_beats_the_cache(tenant, api_client):
    """The key is cached after first use; revoking must still take effect on the next request."""
    assert _projects(api_client, tenant.project_key.header).status_code == 200
    admin = client_for(tenant.users[Role.ADMIN])
    admin.post(reverse("projects:api_key_revoke", args=[tenant.project.id, tenant.project_key.id]))
    assert _projects(api_client, tenant.project_key.header).status_code == 401


def test_deleting_a_project_revokes_its_keys(tenant, api_client):
    assert _projects(api_client, tenant.project_key.header).status_code == 200
    owner = client_for(tenant.users[Role.OWNER])
    owner.post(reverse("projects:delete", args=[tenant.project.id]), {"confirm": tenant.project.name})
    assert _projects(api_client, tenant.project_key.header).status_code == 401


def test_organization_key_lifecycle_through_the_api(tenant, api_client):
    org = tenant.org_key.header
    path = f"/api/public/projects/{tenant.project.id}/apiKeys"
    created = api_client.post(path, {"note": "ci"}, content_type="application/json", HTTP_AUTHORIZATION=org)
    assert created.status_code == 200
    body = created.json()
    assert set(body) >= {"id", "createdAt", "publicKey", "secretKey", "displaySecretKey", "note"}
    assert body["createdAt"].endswith("Z")
    header = basic_auth(body["publicKey"], body["secretKey"])
    assert _projects(api_client, header).status_code == 200

    listed = api_client.get(path, HTTP_AUTHORIZATION=org).json()["apiKeys"]
    assert body["id"] in {k["id"] for k in listed}
    assert all("secretKey" not in k for k in listed)

    deleted = api_client.delete(f"{path}/{body['id']}", HTTP_AUTHORIZATION=org)
    assert deleted.json() == {"success": True}
    assert _projects(api_client, header).status_code == 401
    assert api_client.delete(f"{path}/{body['id']}", HTTP_AUTHORIZATION=org).status_code == 404


def test_predefined_key_pair_must_be_well_formed(tenant, api_client):
    path = f"/api/public/projects/{tenant.project.id}/apiKeys"
    org = tenant.org_key.header
    bad = api_client.post(
        path,
        {"publicKey": "nope", "secretKey": "sk-lf-" + "x" * 30},
        content_type="application/json",
        HTTP_AUTHORIZATION=org,
    )
    assert bad.status_code == 400
    only_one = api_client.post(
        path, {"publicKey": "pk-lf-abc"}, content_type="application/json", HTTP_AUTHORIZATION=org
    )
    assert only_one.status_code == 400
    good = api_client.post(
        path,
        {"publicKey": "pk-lf-fixed", "secretKey": "sk-lf-" + "s" * 30},
        content_type="application/json",
        HTTP_AUTHORIZATION=org,
    )
    assert good.status_code == 200
    assert _projects(api_client, basic_auth("pk-lf-fixed", "sk-lf-" + "s" * 30)).status_code == 200
    dup = api_client.post(
        path,
        {"publicKey": "pk-lf-fixed", "secretKey": "sk-lf-" + "t" * 30},
        content_type="application/json",
        HTTP_AUTHORIZATION=org,
    )
    assert dup.status_code == 409


def test_organization_keys_listed_without_secrets(tenant, api_client):
    response = api_client.get("/api/public/organizations/apiKeys", HTTP_AUTHORIZATION=tenant.org_key.header)
    keys = response.json()["apiKeys"]
    assert [k["publicKey"] for k in keys] == [tenant.org_key.public_key]
    assert "secretKey" not in keys[0]
