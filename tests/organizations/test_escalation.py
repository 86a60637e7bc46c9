"""Escalation attempts are refused, through the console and through the organization API."""

import pytest
from django.urls import reverse

from apps.apikeys.models import ApiKey
from apps.core.roles import Role
from apps.organizations.models import Membership
from tests.conftest import client_for

pytestmark = pytest.mark.core


def _role(tenant, role: Role) -> str:
    return Membership.objects.get(organization=tenant.organization, user=tenant.users[role]).role


def _set_role(client, tenant, target: Role, new_role: str):
    url = reverse("organizations:member_role", args=[tenant.organization.id, tenant.users[target].id])
    return client.post(url, {"role": new_role})


def test_member_cannot_promote_itself(tenant, member_client):
    response = _set_role(member_client, tenant, Role.MEMBER, "OWNER")
    assert response.status_code == 403
    assert _role(tenant, Role.MEMBER) == Role.MEMBER


def test_admin_cannot_grant_owner(tenant):
    admin = client_for(tenant.users[Role.ADMIN])
    response = _set_role(admin, tenant, Role.MEMBER, "OWNER")
    assert response.status_code == 403
    assert _role(tenant, Role.MEMBER) == Role.MEMBER


def test_admin_cannot_promote_itself_to_owner(tenant):
    admin = client_for(tenant.users[Role.ADMIN])
    assert _set_role(admin, tenant, Role.ADMIN, "OWNER").status_code == 403
    assert _role(tenant, Role.ADMIN) == Role.ADMIN


def test_admin_cannot_demote_or_remove_an_owner(tenant):
    admin = client_for(tenant.users[Role.ADMIN])
    assert _set_role(admin, tenant, Role.OWNER, "VIEWER").status_code == 403
    url = reverse("organizations:member_remove", args=[tenant.organization.id, tenant.users[Role.OWNER].id])
    assert admin.post(url).status_code == 403
    assert _role(tenant, Role.OWNER) == Role.OWNER


def test_admin_can_grant_admin(tenant):
    admin = client_for(tenant.users[Role.ADMIN])
    assert _set_role(admin, tenant, Role.VIEWER, "ADMIN").status_code == 302
    assert _role(tenant, Role.VIEWER) == Role.ADMIN


def test_last_owner_can_be_neither_demoted_nor_removed(tenant):
    owner = client_for(tenant.users[Role.OWNER])
    response = _set_role(owner, tenant, Role.OWNER, "ADMIN")
    assert response.status_code == 302
    assert any("last Owner" in str(m) for m in response.wsgi_request._messages)
    url = reverse("organizations:member_remove", args=[tenant.organization.id, tenant.users[Role.OWNER].id])
    owner.post(url)
    assert _role(tenant, Role.OWNER) == Role.OWNER


def test_owner_can_step_down_once_another_owner_exists(tenant):
    owner = client_for(tenant.users[Role.OWNER])
    _set_role(owner, tenant, Role.ADMIN, "OWNER")
    _set_role(owner, tenant, Role.OWNER, "MEMBER")
    assert _role(tenant, Role.OWNER) == Role.MEMBER
    assert _role(tenant, Role.ADMIN) == Role.OWNER


def test_viewer_cannot_create_an_api_key(tenant):
    viewer = client_for(tenant.users[Role.VIEWER])
    before = ApiKey.objects.count()
    response = viewer.post(reverse("projects:api_keys", args=[tenant.project.id]), {"note": "sneaky"})
    assert response.status_code == 403
    assert ApiKey.objects.count() == before


def test_member_cannot_create_an_api_key(tenant, member_client):
    response = member_client.post(reverse("projects:api_keys", args=[tenant.project.id]), {"note": "x"})
    assert response.status_code == 403


def test_admin_cannot_invite_an_owner(tenant):
    admin = client_for(tenant.users[Role.ADMIN])
    response = admin.post(
        reverse("organizations:members", args=[tenant.organization.id]), {"email": "boss@example.com", "role": "OWNER"}
    )
    assert response.status_code == 403


def test_project_override_cannot_exceed_the_granter(tenant):
    admin = client_for(tenant.users[Role.ADMIN])
    url = reverse("projects:members", args=[tenant.project.id])
    response = admin.post(url, {"user_id": tenant.users[Role.VIEWER].id, "role": "OWNER"})
    assert response.status_code == 403


def test_project_override_grants_scopes_on_that_project_only(tenant):
    """A Viewer made project Admin can manage keys there, and nowhere else."""
    from tests.factories import ProjectFactory

    owner = client_for(tenant.users[Role.OWNER])
    owner.post(
        reverse("projects:members", args=[tenant.project.id]),
        {"user_id": tenant.users[Role.VIEWER].id, "role": "ADMIN"},
    )
    other_project = ProjectFactory(organization=tenant.organization)
    viewer = client_for(tenant.users[Role.VIEWER])
    assert viewer.get(reverse("projects:api_keys", args=[tenant.project.id])).status_code == 200
    assert viewer.get(reverse("projects:api_keys", args=[other_project.id])).status_code == 403


def test_invalid_role_is_refused_and_changes_nothing(tenant):
    owner = client_for(tenant.users[Role.OWNER])
    response = _set_role(owner, tenant, Role.MEMBER, "SUPERUSER")
    assert any("role must be one of" in str(m) for m in response.wsgi_request._messages)
    assert _role(tenant, Role.MEMBER) == Role.MEMBER


# --- The same rules through the organization API --------------------------------------------


def _api(client, method, path, key, body=None):
    kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
    return getattr(client, method)(f"/api/public{path}", HTTP_AUTHORIZATION=key.header, **kwargs)


def test_api_cannot_demote_the_last_owner(tenant, api_client):
    owner_id = tenant.users[Role.OWNER].id
    response = _api(
        api_client, "put", "/organizations/memberships", tenant.org_key, {"userId": owner_id, "role": "ADMIN"}
    )
    assert response.status_code == 409
    response = _api(api_client, "delete", "/organizations/memberships", tenant.org_key, {"userId": owner_id})
    assert response.status_code == 409
    assert _role(tenant, Role.OWNER) == Role.OWNER


def test_api_rejects_invalid_roles(tenant, api_client):
    body = {"userId": tenant.users[Role.VIEWER].id, "role": "GOD"}
    response = _api(api_client, "put", "/organizations/memberships", tenant.org_key, body)
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid request data"


def test_api_cannot_add_a_user_that_does_not_exist(tenant, api_client):
    response = _api(
        api_client, "put", "/organizations/memberships", tenant.org_key, {"userId": "nobody", "role": "MEMBER"}
    )
    assert response.status_code == 404


def test_project_key_cannot_manage_members(tenant, api_client):
    body = {"userId": tenant.users[Role.VIEWER].id, "role": "OWNER"}
    response = _api(api_client, "put", "/organizations/memberships", tenant.project_key, body)
    assert response.status_code == 403
    assert _role(tenant, Role.VIEWER) == Role.VIEWER
