"""Writes to organizations, memberships and invitations. Each owns its transaction and audits."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from apps.apikeys.services import api_key_forget_cached, api_keys_forget_cached_for
from apps.audit.services import audit_record
from apps.core.access import Access
from apps.core.errors import Conflict, Forbidden, InvalidRequest, NotFound
from apps.core.roles import Role, parse_role, scopes_for
from apps.core.validation import clean_name
from apps.organizations.models import Invite, Membership, Organization

User = get_user_model()


def _clean_role(value: object) -> Role:
    role = parse_role(value)
    if role is None:
        raise InvalidRequest("role must be one of OWNER, ADMIN, MEMBER, VIEWER")
    return role


def _locked_membership(access: Access, user_id: str) -> Membership | None:
    """The member's row, locked until the transaction ends (owner-count checks depend on it).

    The organization row is locked first: membership changes of one organization take turns, so
    two Owners demoting each other cannot deadlock on each other's rows (one waits, then sees
    the other's change)."""
    list(Organization.objects.select_for_update().filter(id=access.organization.id).values_list("id", flat=True))
    return (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(organization=access.organization, user_id=user_id)
        .first()
    )


def _owner_count(organization: Organization) -> int:
    """Owners of the organization, with their rows locked: two Owners demoting each other at
    the same moment must not both see the other one as the remaining Owner."""
    owners = Membership.objects.select_for_update().filter(organization=organization, role=Role.OWNER)
    return len(owners.values_list("id", flat=True))


def organization_create(*, user, name: str, ip: str | None = None) -> Organization:
    """Create an organization with `user` as its Owner."""
    name = clean_name(name, label="Organization name")
    if Organization.objects.filter(memberships__user=user, name__iexact=name).exists():
        raise Conflict("You already belong to an organization with this name")
    with transaction.atomic():
        organization = Organization.objects.create(name=name)
        Membership.objects.create(organization=organization, user=user, role=Role.OWNER)
        access = Access(organization=organization, role=Role.OWNER, scopes=scopes_for(Role.OWNER), user=user, ip=ip)
        audit_record(
            access=access,
            action="organization.create",
            target_type="organization",
            target_id=organization.id,
            after={"name": name},
        )
    return organization


def organization_rename(*, access: Access, name: str) -> Organization:
    """Rename the access's organization."""
    access.require("organization:write")
    name = clean_name(name, label="Organization name")
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(id=access.organization.id)
        before = {"name": organization.name}
        organization.name = name
        organization.save(update_fields=["name", "updated_at"])
        api_keys_forget_cached_for(organization_id=organization.id)
        audit_record(
            access=access,
            action="organization.rename",
            target_type="organization",
            target_id=organization.id,
            before=before,
            after={"name": name},
        )
    return organization


def organization_delete(*, access: Access) -> None:
    """Delete the organization with its projects and keys; the audit trail is kept."""
    access.require("organization:delete")
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(id=access.organization.id)
        keys = list(organization.api_keys.values_list("secret_hash", "public_key"))
        audit_record(
            access=access,
            action="organization.delete",
            target_type="organization",
            target_id=organization.id,
            before={"name": organization.name},
        )
        project_ids = list(organization.projects.values_list("id", flat=True))
        organization.delete()
        api_key_forget_cached([h for h, _ in keys], public_keys=[p for _, p in keys])
        # The projects' rows went with the organization; their data is purged in the background.
        from apps.projects.tasks import request_purge

        request_purge(project_ids)


def membership_set_role(*, access: Access, user_id: str, role: object) -> Membership:
    """Create or change a member's organization role (the user must have an account)."""
    access.require("members:write")
    new_role = _clean_role(role)
    with transaction.atomic():
        membership = _locked_membership(access, user_id)
        if membership is None:
            user = User.objects.filter(id=user_id, is_active=True).first()
            if user is None:
                raise NotFound("User not found")
            access.require_can_manage(None, new_role)
            membership = Membership.objects.create(organization=access.organization, user=user, role=new_role)
            audit_record(
                access=access,
                action="member.add",
                target_type="user",
                target_id=user.id,
                after={"email": user.email, "role": new_role},
            )
            return membership
        current = Role(membership.role)
        if current == new_role:
            return membership
        access.require_can_manage(current, new_role)
        if current == Role.OWNER and _owner_count(access.organization) <= 1:
            raise Conflict("The last Owner cannot be demoted; make someone else Owner first")
        membership.role = new_role
        membership.save(update_fields=["role", "updated_at"])
        audit_record(
            access=access,
            action="member.role_change",
            target_type="user",
            target_id=membership.user_id,
            before={"role": current},
            after={"role": new_role},
        )
    return membership


def membership_remove(*, access: Access, user_id: str) -> None:
    """Remove a member (and their project overrides); members may always leave themselves."""
    leaving = access.user is not None and access.user.id == user_id
    if not leaving:
        access.require("members:write")
    with transaction.atomic():
        membership = _locked_membership(access, user_id)
        if membership is None:
            raise NotFound("Membership not found")
        current = Role(membership.role)
        if not leaving:
            access.require_can_manage(current, None)
        if current == Role.OWNER and _owner_count(access.organization) <= 1:
            raise Conflict("The last Owner cannot be removed")
        from apps.projects.services import project_overrides_clear

        project_overrides_clear(organization=access.organization, user_id=user_id)
        membership.delete()
        audit_record(
            access=access,
            action="member.remove",
            target_type="user",
            target_id=user_id,
            before={"email": membership.user.email, "role": current},
        )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_create(*, access: Access, email: str, role: object) -> tuple[Invite, str]:
    """Invite an e-mail address with a role; returns the invite and its one-time token."""
    access.require("members:write")
    new_role = _clean_role(role)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidRequest("Enter a valid e-mail address") from exc
    access.require_can_manage(None, new_role)
    if Membership.objects.filter(organization=access.organization, user__email=email).exists():
        raise Conflict("This person is already a member")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        # A new invitation to the same address replaces the open one.
        Invite.objects.filter(organization=access.organization, email=email, accepted_at__isnull=True).delete()
        invite = Invite.objects.create(
            organization=access.organization,
            email=email,
            role=new_role,
            token_hash=_token_hash(token),
            invited_by=access.user,
            expires_at=timezone.now() + timedelta(days=settings.INVITE_TTL_DAYS),
        )
        audit_record(
            access=access,
            action="invite.create",
            target_type="invite",
            target_id=invite.id,
            after={"email": email, "role": new_role},
        )
    return invite, token


def invite_find(*, token: str) -> Invite | None:
    """The open, unexpired invitation behind a token, or None."""
    invite = Invite.objects.select_related("organization").filter(token_hash=_token_hash(token)).first()
    return invite if invite is not None and invite.is_open else None


def invite_accept(*, user, token: str, ip: str | None = None) -> Membership:
    """Accept an invitation as `user`; the invite must be addressed to the user's e-mail."""
    with transaction.atomic():
        invite = (
            Invite.objects.select_for_update()
            .select_related("organization")
            .filter(token_hash=_token_hash(token))
            .first()
        )
        if invite is None or not invite.is_open:
            raise NotFound("This invitation is invalid or has expired")
        if invite.email.lower() != user.email.lower():
            raise Forbidden("This invitation was sent to another e-mail address")
        membership, created = Membership.objects.get_or_create(
            organization=invite.organization, user=user, defaults={"role": invite.role}
        )
        invite.accepted_at = timezone.now()
        invite.save(update_fields=["accepted_at"])
        access = Access(
            organization=invite.organization,
            role=Role(membership.role),
            scopes=scopes_for(membership.role),
            user=user,
            ip=ip,
        )
        audit_record(
            access=access,
            action="invite.accept",
            target_type="invite",
            target_id=invite.id,
            after={"email": user.email, "role": membership.role, "created": created},
        )
    return membership


def invite_revoke(*, access: Access, invite_id: str) -> None:
    """Withdraw an open invitation."""
    access.require("members:write")
    with transaction.atomic():
        invite = Invite.objects.filter(organization=access.organization, id=invite_id, accepted_at__isnull=True).first()
        if invite is None:
            raise NotFound("Invitation not found")
        access.require_can_manage(Role(invite.role), None)
        invite.delete()
        audit_record(
            access=access,
            action="invite.revoke",
            target_type="invite",
            target_id=invite_id,
            before={"email": invite.email, "role": invite.role},
        )
