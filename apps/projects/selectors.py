"""Reads of projects and project-level role overrides."""

from django.db.models import QuerySet

from apps.core.access import Access
from apps.core.errors import NotFound
from apps.core.roles import Role
from apps.projects.models import Project, ProjectMembership


def project_organization_id(*, project_id: str) -> str | None:
    """The organization owning a live project, or None."""
    return (
        Project.objects.filter(id=project_id, deleted_at__isnull=True).values_list("organization_id", flat=True).first()
    )


def project_role_override(*, project: Project, user) -> Role | None:
    """The user's project-level role override, if any."""
    role = ProjectMembership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
    return Role(role) if role else None


def project_list(*, access: Access) -> QuerySet[Project]:
    """Live projects of the access's organization, by name."""
    return Project.objects.filter(organization=access.organization, deleted_at__isnull=True).order_by("name", "id")


def project_get(*, access: Access, project_id: str) -> Project:
    """A live project of the access's organization; NotFound for any other id."""
    project = project_list(access=access).filter(id=project_id).first()
    if project is None:
        raise NotFound(f"Project {project_id} not found within authorized organization")
    return project


def project_override_list(*, access: Access, project: Project) -> QuerySet[ProjectMembership]:
    """Project-level role overrides of one project of the organization."""
    access.require("members:read")
    return ProjectMembership.objects.filter(project=project).select_related("user").order_by("user__email")
