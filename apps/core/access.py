"""`Access`: who is acting, in which organization and project, with which scopes.

Resolved once per request by the locked bases (console views, ninja routers, DRF views) and
passed explicitly to services and selectors. A user who is not a member gets no Access at all,
which the bases turn into 404 so that a forbidden object looks like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from apps.core.errors import Forbidden
from apps.core.roles import (
    ORGANIZATION_KEY_SCOPES,
    PROJECT_KEY_SCOPES,
    PUBLIC_KEY_SCOPES,
    Role,
    can_grant,
    scopes_for,
)

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.apikeys.models import ApiKey
    from apps.organizations.models import Organization
    from apps.projects.models import Project


@dataclass(frozen=True)
class Access:
    organization: Organization
    scopes: frozenset[str]
    project: Project | None = None
    role: Role | None = None
    user: User | None = None
    api_key: ApiKey | None = None
    ip: str | None = field(default=None, compare=False)

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def require(self, scope: str) -> None:
        """Raise Forbidden unless this access holds `scope`."""
        if scope not in self.scopes:
            raise Forbidden()

    @property
    def grant_ceiling(self) -> Role:
        """The highest role this actor may grant: a user's own role; an organization key acts as Owner."""
        if self.role is not None:
            return self.role
        return Role.OWNER if self.has("members:owner") else Role.ADMIN

    def require_can_manage(self, *roles: Role | str | None) -> None:
        """Refuse to grant, change or remove a role above the actor's own."""
        for role in roles:
            if role is not None and not can_grant(self.grant_ceiling, role):
                raise Forbidden("You cannot manage a role above your own")

    @property
    def actor_label(self) -> str:
        if self.user is not None:
            return self.user.email
        if self.api_key is not None:
            return self.api_key.public_key
        return "system"


def user_access(
    user: User, *, organization_id: str, project_id: str | None = None, ip: str | None = None
) -> Access | None:
    """Access of a signed-in user to an organization (and optionally one of its projects).

    None when the user is not a member or the project is not in that organization.
    """
    from apps.organizations.selectors import membership_for
    from apps.projects.selectors import project_role_override

    membership = membership_for(user=user, organization_id=organization_id)
    if membership is None:
        return None
    role = Role(membership.role)
    project = None
    if project_id is not None:
        project = membership.organization.projects.filter(id=project_id, deleted_at__isnull=True).first()
        if project is None:
            return None
        role = project_role_override(project=project, user=user) or role
    return Access(
        organization=membership.organization,
        project=project,
        role=role,
        scopes=scopes_for(role),
        user=user,
        ip=ip,
    )


def project_access(user: User, *, project_id: str, ip: str | None = None) -> Access | None:
    """Access to a project addressed by id alone (console URLs are /project/<id>/...)."""
    from apps.projects.selectors import project_organization_id

    organization_id = project_organization_id(project_id=project_id)
    if organization_id is None:
        return None
    return user_access(user, organization_id=organization_id, project_id=project_id, ip=ip)


def api_key_access(key: ApiKey, *, bearer_only: bool = False, ip: str | None = None) -> Access:
    """Access granted by an API key; the project comes from the key, never from the request."""
    if bearer_only:
        scopes = PUBLIC_KEY_SCOPES
    elif key.project_id is None:
        scopes = ORGANIZATION_KEY_SCOPES
    else:
        scopes = PROJECT_KEY_SCOPES
    return Access(organization=key.organization, project=key.project, scopes=scopes, api_key=key, ip=ip)


def system_access(organization: Organization, project: Project | None = None) -> Access:
    """Access for background jobs acting on behalf of the platform itself."""
    from apps.core.roles import ALL_SCOPES

    return Access(organization=organization, project=project, scopes=ALL_SCOPES)
