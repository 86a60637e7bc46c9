"""Writes to projects and project role overrides. Each owns its transaction and audits."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.apikeys.services import api_keys_forget_cached_for
from apps.audit.services import audit_record
from apps.core.access import Access
from apps.core.errors import Conflict, InvalidRequest, NotFound
from apps.core.roles import parse_role
from apps.core.validation import clean_metadata, clean_name, clean_retention
from apps.organizations.models import Membership
from apps.projects.models import Project, ProjectMembership
from apps.projects.selectors import project_get

_UNSET = object()


def _project_state(project: Project) -> dict:
    return {"name": project.name, "metadata": project.metadata, "retentionDays": project.retention_days}


def _ensure_unique_name(access: Access, name: str, *, exclude_id: str | None = None) -> None:
    taken = Project.objects.filter(organization=access.organization, deleted_at__isnull=True, name__iexact=name)
    if exclude_id:
        taken = taken.exclude(id=exclude_id)
    if taken.exists():
        raise Conflict(f"A project named '{name}' already exists in this organization")


def project_create(*, access: Access, name: str, metadata: object = None, retention: object = None) -> Project:
    """Create a project in the access's organization; names are unique per organization."""
    access.require("projects:create")
    name = clean_name(name, label="Project name", min_length=3)
    metadata = clean_metadata(metadata)
    retention_days = clean_retention(retention)
    _ensure_unique_name(access, name)
    try:
        with transaction.atomic():
            project = Project.objects.create(
                organization=access.organization, name=name, metadata=metadata, retention_days=retention_days
            )
            audit_record(
                access=access,
                action="project.create",
                target_type="project",
                target_id=project.id,
                project_id=project.id,
                after=_project_state(project),
            )
    except IntegrityError as exc:  # a concurrent create won the race for the name
        raise Conflict(f"A project named '{name}' already exists in this organization") from exc
    return project


def project_update(
    *, access: Access, project_id: str, name: object = _UNSET, metadata: object = _UNSET, retention: object = _UNSET
) -> Project:
    """Rename a project and/or change its metadata and retention; omitted fields stay."""
    access.require("projects:write")
    with transaction.atomic():
        project = project_get(access=access, project_id=project_id)
        before = _project_state(project)
        if name is not _UNSET:
            project.name = clean_name(name, label="Project name", min_length=3)
            _ensure_unique_name(access, project.name, exclude_id=project.id)
        if metadata is not _UNSET:
            project.metadata = clean_metadata(metadata)
        if retention is not _UNSET:
            project.retention_days = clean_retention(retention)
        project.save()
        api_keys_forget_cached_for(organization_id=project.organization_id)
        audit_record(
            access=access,
            action="project.update",
            target_type="project",
            target_id=project.id,
            project_id=project.id,
            before=before,
            after=_project_state(project),
        )
    return project


def project_delete(*, access: Access, project_id: str) -> None:
    """Hide the project and revoke its keys now; a background task purges its data."""
    access.require("projects:delete")
    from apps.apikeys.services import api_keys_revoke_for_project
    from apps.projects.tasks import request_purge

    with transaction.atomic():
        project = project_get(access=access, project_id=project_id)
        project.deleted_at = timezone.now()
        project.save(update_fields=["deleted_at", "updated_at"])
        api_keys_revoke_for_project(project=project)
        audit_record(
            access=access,
            action="project.delete",
            target_type="project",
            target_id=project.id,
            project_id=project.id,
            before=_project_state(project),
        )
        request_purge([project.id])


def project_role_set(*, access: Access, project_id: str, user_id: str, role: object) -> ProjectMembership:
    """Override an organization member's role on one project."""
    access.require("members:write")
    new_role = parse_role(role)
    if new_role is None:
        raise InvalidRequest("role must be one of OWNER, ADMIN, MEMBER, VIEWER")
    access.require_can_manage(new_role)
    with transaction.atomic():
        project = project_get(access=access, project_id=project_id)
        if not Membership.objects.filter(organization=access.organization, user_id=user_id).exists():
            raise NotFound("User is not a member of this organization")
        override = ProjectMembership.objects.select_for_update().filter(project=project, user_id=user_id).first()
        before = {"role": override.role} if override else None
        if override is not None:
            access.require_can_manage(override.role)
        override, _ = ProjectMembership.objects.update_or_create(
            project=project, user_id=user_id, defaults={"role": new_role}
        )
        audit_record(
            access=access,
            action="project_member.role_change",
            target_type="user",
            target_id=user_id,
            project_id=project.id,
            before=before,
            after={"role": new_role},
        )
    return override


def project_role_remove(*, access: Access, project_id: str, user_id: str) -> None:
    """Drop a project-level override; the member falls back to the organization role."""
    access.require("members:write")
    with transaction.atomic():
        project = project_get(access=access, project_id=project_id)
        override = ProjectMembership.objects.filter(project=project, user_id=user_id).first()
        if override is None:
            raise NotFound("Project membership not found")
        access.require_can_manage(override.role)
        override.delete()
        audit_record(
            access=access,
            action="project_member.remove",
            target_type="user",
            target_id=user_id,
            project_id=project.id,
            before={"role": override.role},
        )


def project_overrides_clear(*, organization, user_id: str) -> None:
    """Remove a departing member's overrides in every project of the organization."""
    ProjectMembership.objects.filter(project__organization=organization, user_id=user_id).delete()
