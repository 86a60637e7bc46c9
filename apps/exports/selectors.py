"""Reads of a project's export jobs."""

from django.db.models import QuerySet
from django.utils import timezone

from apps.core.access import Access
from apps.core.errors import NotFound
from apps.exports.models import ExportJob

RECENT = 20


def export_job_list(*, access: Access) -> QuerySet[ExportJob]:
    """The project's most recent export jobs that have not expired, newest first."""
    access.require("traces:read")
    return (
        ExportJob.objects.filter(project_id=access.project.id, expires_at__gt=timezone.now())
        .select_related("created_by")
        .order_by("-created_at")[:RECENT]
    )


def export_file_get(*, access: Access, job_id: str) -> ExportJob:
    """A finished, unexpired job of this project whose file can be downloaded; NotFound otherwise."""
    access.require("traces:read")
    job = ExportJob.objects.filter(
        project_id=access.project.id, id=job_id, status=ExportJob.Status.DONE, expires_at__gt=timezone.now()
    ).first()
    if job is None or not job.file_key:
        raise NotFound(f"Export {job_id} not found within authorized project")
    return job
