"""Creating, renaming and deleting organizations and projects from the console."""

import pytest
from django.urls import reverse

from apps.core.roles import Role
from apps.organizations.models import Membership, Organization
from apps.projects.models import Project
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.core


def test_create_organization_makes_the_creator_owner(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("organizations:create"), {"name": "Acme AI"})
    organization = Organization.objects.get(name="Acme AI")
    assert response["Location"] == reverse("organizations:detail", args=[organization.id])
    assert Membership.objects.get(organization=organization, user=user).role == Role.OWNER


@pytest.mark.parametrize("name", ["", "<b>x</b>", "x" * 61])
def test_bad_organization_names_are_refused(client, db, name):
    client.force_login(UserFactory())
    response = client.post(reverse("organizations:create"), {"name": name})
    assert any(m.level_tag == "error" for m in response.wsgi_request._messages)
    assert not Organization.objects.exists()


def test_duplicate_organization_name_for_the_same_user_is_refused(client, db):
    client.force_login(UserFactory())
    client.post(reverse("organizations:create"), {"name": "Acme"})
    client.post(reverse("organizations:create"), {"name": "acme"})
    assert Organization.objects.count() == 1


def test_duplicate_project_name_is_refused(tenant):
    admin = client_for(tenant.users[Role.ADMIN])
    response = admin.post(reverse("organizations:detail", args=[tenant.organization.id]), {"name": tenant.project.name})
    assert any("already exists" in str(m) for m in response.wsgi_request._messages)
    assert Project.objects.filter(organization=tenant.organization).count() == 1


def test_project_name_with_html_is_refused(tenant):
    admin = client_for(tenant.users[Role.ADMIN])
    admin.post(reverse("projects:settings", args=[tenant.project.id]), {"name": "<script>x</script>"})
    tenant.project.refresh_from_db()
    assert tenant.project.name == "Project A"


def test_delete_project_needs_the_name_typed(tenant):
    admin = client_for(tenant.users[Role.ADMIN])
    admin.post(reverse("projects:delete", args=[tenant.project.id]), {"confirm": "wrong"})
    assert Project.objects.get(id=tenant.project.id).deleted_at is None
    admin.post(reverse("projects:delete", args=[tenant.project.id]), {"confirm": tenant.project.name})
    assert Project.objects.get(id=tenant.project.id).deleted_at is not None
    assert admin.get(reverse("projects:overview", args=[tenant.project.id])).status_code == 404


def test_delete_organization(tenant):
    owner = client_for(tenant.users[Role.OWNER])
    owner.post(reverse("organizations:delete", args=[tenant.organization.id]), {"confirm": tenant.organization.name})
    assert not Organization.objects.filter(id=tenant.organization.id).exists()
    assert owner.get(reverse("organizations:detail", args=[tenant.organization.id])).status_code == 404


def test_switcher_lists_only_the_users_organizations_and_projects(tenant, other_tenant):
    page = client_for(tenant.users[Role.VIEWER]).get(reverse("projects:overview", args=[tenant.project.id]))
    assert [o.id for o in page.context["nav_organizations"]] == [tenant.organization.id]
    assert [p.id for p in page.context["nav_projects"]] == [tenant.project.id]
    assert other_tenant.organization.name.encode() not in page.content


def test_home_redirects_to_an_organization(tenant):
    response = client_for(tenant.users[Role.VIEWER]).get(reverse("home"))
    assert response["Location"] == reverse("organizations:detail", args=[tenant.organization.id])
