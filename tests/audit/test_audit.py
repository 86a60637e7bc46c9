"""Audit: every governance change writes one entry in its transaction; the log page filters."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.core.roles import Role
from tests.conftest import client_for

pytestmark = pytest.mark.core


def test_changes_are_audited_with_actor_ip_before_and_after(tenant):
    owner = client_for(tenant.users[Role.OWNER])
    org_id = tenant.organization.id
    owner.post(reverse("organizations:settings", args=[org_id]), {"name": "Renamed Org"}, REMOTE_ADDR="203.0.113.9")
    entry = AuditEntry.objects.get(action="organization.rename")
    assert entry.organization_id == org_id
    assert entry.actor_user == tenant.users[Role.OWNER] and entry.actor_type == "user"
    assert entry.ip == "203.0.113.9"
    assert entry.before == {"name": "Org A"} and entry.after == {"name": "Renamed Org"}


def test_each_service_writes_its_entry(tenant):
    owner = client_for(tenant.users[Role.OWNER])
    org_id, project_id = tenant.organization.id, tenant.project.id
    viewer_id = tenant.users[Role.VIEWER].id
    owner.post(reverse("organizations:detail", args=[org_id]), {"name": "Second project"})
    owner.post(reverse("projects:settings", args=[project_id]), {"name": "Project A2"})
    owner.post(reverse("projects:api_keys", args=[project_id]), {"note": "k"})
    owner.post(reverse("projects:api_key_revoke", args=[project_id, tenant.project_key.id]))
    owner.post(reverse("organizations:members", args=[org_id]), {"email": "new@example.com", "role": "MEMBER"})
    owner.post(reverse("organizations:member_role", args=[org_id, viewer_id]), {"role": "MEMBER"})
    owner.post(reverse("projects:members", args=[project_id]), {"user_id": viewer_id, "role": "VIEWER"})
    owner.post(reverse("organizations:member_remove", args=[org_id, viewer_id]))
    actions = set(AuditEntry.objects.filter(organization_id=org_id).values_list("action", flat=True))
    assert actions >= {
        "project.create",
        "project.update",
        "apikey.create",
        "apikey.revoke",
        "invite.create",
        "member.role_change",
        "project_member.role_change",
        "member.remove",
    }
    project_entries = AuditEntry.objects.filter(project_id=project_id, action="apikey.revoke")
    assert project_entries.count() == 1


def test_failed_change_leaves_no_entry(tenant):
    owner = client_for(tenant.users[Role.OWNER])
    owner.post(reverse("organizations:settings", args=[tenant.organization.id]), {"name": "<b>bold</b>"})
    assert not AuditEntry.objects.filter(action="organization.rename").exists()


def test_audit_page_filters(tenant):
    owner = client_for(tenant.users[Role.OWNER])
    owner.post(reverse("organizations:settings", args=[tenant.organization.id]), {"name": "Renamed"})
    owner.post(reverse("projects:api_keys", args=[tenant.project.id]), {"note": "k"})
    url = reverse("organizations:audit", args=[tenant.organization.id])
    page = owner.get(url, {"action": "apikey"})
    entries = page.context["page"].object_list
    assert {e.action for e in entries} == {"apikey.create"}
    assert tenant.users[Role.OWNER].email in {e.actor_label for e in entries}
    page = owner.get(url, {"actor": "nobody"})
    assert list(page.context["page"].object_list) == []
    page = owner.get(url, {"project": tenant.project.id})
    assert {e.action for e in page.context["page"].object_list} == {"apikey.create"}
    assert b"organization.rename" in owner.get(url).content


def test_audit_page_is_for_admins_and_owners(tenant):
    url = reverse("organizations:audit", args=[tenant.organization.id])
    assert client_for(tenant.users[Role.MEMBER]).get(url).status_code == 403
    assert client_for(tenant.users[Role.ADMIN]).get(url).status_code == 200


def test_audit_entries_do_not_leak_across_organizations(tenant, other_tenant):
    client_for(other_tenant.users[Role.OWNER]).post(
        reverse("organizations:settings", args=[other_tenant.organization.id]), {"name": "B renamed"}
    )
    page = client_for(tenant.users[Role.OWNER]).get(reverse("organizations:audit", args=[tenant.organization.id]))
    assert all(e.organization_id == tenant.organization.id for e in page.context["page"].object_list)
    assert b"B renamed" not in page.content
