"""Public API (organization key): organization and project memberships, organization projects."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Schema
from pydantic import ConfigDict

from apps.core.api import TenantRouter
from apps.core.schemas import IsoDateTime
from apps.organizations import selectors, services
from apps.projects import selectors as project_selectors
from apps.projects import services as project_services

router = TenantRouter(tags=["Organizations"])

RoleName = Literal["OWNER", "ADMIN", "MEMBER", "VIEWER"]


class MembershipIn(Schema):
    model_config = ConfigDict(extra="forbid")
    userId: str
    role: RoleName


class MembershipDeleteIn(Schema):
    model_config = ConfigDict(extra="forbid")
    userId: str


class MembershipOut(Schema):
    userId: str
    role: RoleName
    email: str
    name: str


class MembershipsOut(Schema):
    memberships: list[MembershipOut]


class MembershipDeletionOut(Schema):
    message: str
    userId: str


class OrganizationProjectOut(Schema):
    id: str
    name: str
    metadata: dict[str, Any] | None
    createdAt: IsoDateTime
    updatedAt: IsoDateTime


class OrganizationProjectsOut(Schema):
    projects: list[OrganizationProjectOut]


def _membership_out(user, role: str) -> dict:
    return {"userId": user.id, "role": role, "email": user.email, "name": user.name or user.email}


@router.get("/organizations/memberships", scope="members:read", response=MembershipsOut)
def organization_membership_list(request: HttpRequest):
    memberships = selectors.membership_list(access=request.auth)
    return {"memberships": [_membership_out(m.user, m.role) for m in memberships]}


@router.put("/organizations/memberships", scope="members:write", response=MembershipOut)
def organization_membership_upsert(request: HttpRequest, body: MembershipIn):
    membership = services.membership_set_role(access=request.auth, user_id=body.userId, role=body.role)
    return _membership_out(membership.user, membership.role)


@router.delete("/organizations/memberships", scope="members:write", response=MembershipDeletionOut)
def organization_membership_delete(request: HttpRequest, body: MembershipDeleteIn):
    services.membership_remove(access=request.auth, user_id=body.userId)
    return {"message": "Membership deleted successfully", "userId": body.userId}


@router.get("/projects/{project_id}/memberships", scope="members:read", response=MembershipsOut)
def project_membership_list(request: HttpRequest, project_id: str):
    project = project_selectors.project_get(access=request.auth, project_id=project_id)
    overrides = project_selectors.project_override_list(access=request.auth, project=project)
    return {"memberships": [_membership_out(o.user, o.role) for o in overrides]}


@router.put("/projects/{project_id}/memberships", scope="members:write", response=MembershipOut)
def project_membership_upsert(request: HttpRequest, project_id: str, body: MembershipIn):
    override = project_services.project_role_set(
        access=request.auth, project_id=project_id, user_id=body.userId, role=body.role
    )
    return _membership_out(override.user, override.role)


@router.delete("/projects/{project_id}/memberships", scope="members:write", response=MembershipDeletionOut)
def project_membership_delete(request: HttpRequest, project_id: str, body: MembershipDeleteIn):
    project_services.project_role_remove(access=request.auth, project_id=project_id, user_id=body.userId)
    return {"message": "Membership deleted successfully", "userId": body.userId}


@router.get("/organizations/projects", scope="organization:read", response=OrganizationProjectsOut)
def organization_project_list(request: HttpRequest):
    projects = project_selectors.project_list(access=request.auth)
    return {
        "projects": [
            {"id": p.id, "name": p.name, "metadata": p.metadata, "createdAt": p.created_at, "updatedAt": p.updated_at}
            for p in projects
        ]
    }
