"""The only role -> scope table in LangOps.

Code checks scopes (`apikeys:write`), never role names. Roles are ranked so that "nobody
grants a role above their own" is a comparison, and a project may override a member's
organization role for that project only.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


ROLE_RANK: dict[Role, int] = {Role.VIEWER: 1, Role.MEMBER: 2, Role.ADMIN: 3, Role.OWNER: 4}
ROLE_LABELS = {Role.OWNER: _("Owner"), Role.ADMIN: _("Admin"), Role.MEMBER: _("Member"), Role.VIEWER: _("Viewer")}
ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in sorted(Role, key=ROLE_RANK.get, reverse=True)]

# Scopes that concern the project's data (traces, prompts, ...). Later features add theirs here.
_PROJECT_READ = {"project:read", "traces:read", "scores:read", "prompts:read", "datasets:read", "models:read"}
_PROJECT_WRITE = {"traces:write", "scores:write", "prompts:write", "datasets:write", "models:write"}

_VIEWER = {"organization:read", "members:read", *_PROJECT_READ}
_MEMBER = _VIEWER | _PROJECT_WRITE | {"apikeys:read"}
_ADMIN = _MEMBER | {
    "organization:write",
    "members:write",
    "projects:create",
    "projects:write",
    "projects:delete",
    "apikeys:write",
    "audit:read",
    "traces:delete",
}
_OWNER = _ADMIN | {"organization:delete", "members:owner"}

ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.MEMBER: frozenset(_MEMBER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.OWNER: frozenset(_OWNER),
}

# API keys carry no role; their scope set is fixed by the key's level.
PROJECT_KEY_SCOPES = frozenset({"project:read", *_PROJECT_READ, *_PROJECT_WRITE, "traces:delete"})
ORGANIZATION_KEY_SCOPES = frozenset(
    {
        "organization:read",
        "members:read",
        "members:write",
        "members:owner",
        "projects:create",
        "projects:write",
        "projects:delete",
        "apikeys:read",
        "apikeys:write",
    }
)
# Bearer public key (browser SDK): may only create scores.
PUBLIC_KEY_SCOPES = frozenset({"scores:write"})

ALL_SCOPES = frozenset().union(*ROLE_SCOPES.values(), PROJECT_KEY_SCOPES, ORGANIZATION_KEY_SCOPES)


def scopes_for(role: Role | str) -> frozenset[str]:
    """Scopes granted by `role`; an unknown role grants nothing."""
    try:
        return ROLE_SCOPES[Role(role)]
    except ValueError:
        return frozenset()


def lowest_role_with(scope: str) -> Role | None:
    """The least privileged role holding `scope` (drives the contract tests)."""
    for role in sorted(Role, key=ROLE_RANK.get):
        if scope in ROLE_SCOPES[role]:
            return role
    return None


def can_grant(granter: Role | str, role: Role | str) -> bool:
    """Nobody grants (or takes away) a role above their own."""
    return ROLE_RANK[Role(role)] <= ROLE_RANK[Role(granter)]


def parse_role(value: object) -> Role | None:
    """Role from user input (case-insensitive), or None when it is not a role."""
    if not isinstance(value, str):
        return None
    try:
        return Role(value.strip().upper())
    except ValueError:
        return None
