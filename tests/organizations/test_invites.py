"""Invitations: invite by e-mail with a role, accept through the link, expiry and misuse."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.roles import Role
from apps.organizations.models import Invite, Membership
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.core


def _invite(tenant, email="new@example.com", role="MEMBER") -> str:
    admin = client_for(tenant.users[Role.ADMIN])
    admin.post(reverse("organizations:members", args=[tenant.organization.id]), {"email": email, "role": role})
    page = admin.get(reverse("organizations:members", args=[tenant.organization.id]))
    link = page.context["invite_link"]
    assert link and "/invites/" in link
    return link.split("/invites/")[1].rstrip("/")


def test_invite_and_accept(tenant):
    token = _invite(tenant, role="VIEWER")
    invited = UserFactory(email="new@example.com")
    client = client_for(invited)
    assert client.get(reverse("invite_accept", args=[token])).status_code == 200
    response = client.post(reverse("invite_accept", args=[token]))
    assert response.status_code == 302
    membership = Membership.objects.get(organization=tenant.organization, user=invited)
    assert membership.role == Role.VIEWER
    # The token works once.
    assert client.get(reverse("invite_accept", args=[token])).status_code == 404


def test_invite_only_stores_a_hash_of_the_token(tenant):
    token = _invite(tenant)
    invite = Invite.objects.get(email="new@example.com")
    assert token not in invite.token_hash


def test_invite_for_another_address_is_refused(tenant):
    token = _invite(tenant)
    stranger = client_for(UserFactory(email="stranger@example.com"))
    assert stranger.post(reverse("invite_accept", args=[token])).status_code == 403
    assert not Membership.objects.filter(organization=tenant.organization, user__email="stranger@example.com").exists()


def test_expired_invite_is_refused(tenant):
    token = _invite(tenant)
    Invite.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    invited = client_for(UserFactory(email="new@example.com"))
    assert invited.post(reverse("invite_accept", args=[token])).status_code == 404


def test_signup_from_an_invite_returns_to_it(client, tenant):
    token = _invite(tenant)
    accept = reverse("invite_accept", args=[token])
    response = client.get(accept)
    assert response.status_code == 302 and "next=" in response["Location"]
    response = client.post(
        reverse("accounts:signup") + f"?next={accept}",
        {"name": "New", "email": "new@example.com", "password": "a-long-passphrase-42"},
    )
    assert response["Location"] == accept


def test_inviting_an_existing_member_is_refused(tenant):
    admin = client_for(tenant.users[Role.ADMIN])
    response = admin.post(
        reverse("organizations:members", args=[tenant.organization.id]),
        {"email": tenant.users[Role.VIEWER].email, "role": "MEMBER"},
    )
    assert any("already a member" in str(m) for m in response.wsgi_request._messages)
    assert not Invite.objects.exists()


def test_invalid_email_is_refused(tenant):
    admin = client_for(tenant.users[Role.ADMIN])
    response = admin.post(
        reverse("organizations:members", args=[tenant.organization.id]), {"email": "not an email", "role": "MEMBER"}
    )
    assert any("valid e-mail" in str(m) for m in response.wsgi_request._messages)
    assert not Invite.objects.exists()
