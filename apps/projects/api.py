"""Public API: /projects (project key: its own project; organization key: create, update, delete)."""

from typing import Any

from django.http import HttpRequest
from ninja import Schema, Status
from pydantic import ConfigDict

from apps.core.api import TenantRouter
from apps.projects import services
from apps.projects.models import Project

router = TenantRouter(tags=["Projects"])


class OrganizationOut(Schema):
    id: str
    name: str


class ProjectOut(Schema):
    id: str
    name: str
    organization: OrganizationOut
    metadata: dict[str, Any]
    retentionDays: int | None = None


class ProjectsOut(Schema):
    data: list[ProjectOut]


class ProjectCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str
    metadata: dict[str, Any] | None = None
    retention: int | None = None


class ProjectUpdateIn(ProjectCreateIn):
    pass


class ProjectDeletionOut(Schema):
    success: bool
    message: str


def project_out(project: Project) -> dict:
    out = {
        "id": project.id,
        "name": project.name,
        "organization": {"id": project.organization.id, "name": project.organization.name},
        "metadata": project.metadata or {},
    }
    if project.retention_days:
        out["retentionDays"] = project.retention_days
    return out


@router.get("/projects", scope="project:read", response=ProjectsOut, exclude_unset=True)
def project_get_own(request: HttpRequest):
    """The project of the API key (the SDKs' auth check)."""
    return {"data": [project_out(request.auth.project)]}


@router.post("/projects", scope="projects:create", response=ProjectOut, exclude_unset=True)
def project_create(request: HttpRequest, body: ProjectCreateIn):
    project = services.project_create(
        access=request.auth, name=body.name, metadata=body.metadata, retention=body.retention
    )
    return project_out(project)


@router.put("/projects/{project_id}", scope="projects:write", response=ProjectOut, exclude_unset=True)
def project_update(request: HttpRequest, project_id: str, body: ProjectUpdateIn):
    fields = body.model_dump(exclude_unset=True)
    project = services.project_update(access=request.auth, project_id=project_id, **fields)
    return project_out(project)


@router.delete("/projects/{project_id}", scope="projects:delete", response={202: ProjectDeletionOut})
def project_delete(request: HttpRequest, project_id: str):
    services.project_delete(access=request.auth, project_id=project_id)
    return Status(202, {"success": True, "message": "Project deletion has been queued"})
