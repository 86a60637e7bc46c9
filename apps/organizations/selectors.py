"""Reads of organizations and memberships."""

from django.db.models import QuerySet

from apps.core.access import Access
from apps.organizations.models import Invite, Membership, Organization


def membership_for(*, user, organization_id: str) -> Membership | None:
    """The user's membership in the organization, with the organization loaded, or None."""
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("organization").filter(user=user, organization_id=organization_id).first()


def organization_list_for_user(*, user) -> QuerySet[Organization]:
    """Organizations the user belongs to, by name."""
    return Organization.objects.filter(memberships__user=user).order_by("name", "id")


def membership_list(*, access: Access) -> QuerySet[Membership]:
    """Members of the access's organization with their users, by e-mail."""
    access.require("members:read")
    return Membership.objects.filter(organization=access.organization).select_related("user").order_by("user__email")


def invite_list_open(*, access: Access) -> QuerySet[Invite]:
    """Invitations of the organization that were not accepted yet."""
    access.require("members:read")
    return Invite.objects.filter(organization=access.organization, accepted_at__isnull=True).order_by("-created_at")
