"""Starting exports of console tables: at once (streamed) or as a background job."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core import jobs
from apps.core.access import Access
from apps.exports.models import ExportJob
from apps.traces.export_tables import ExportTable, at_most


def export_runs_in_background(*, access: Access, table: ExportTable, params: dict[str, str]) -> bool:
    """Whether an export should be a job: its table asks for one, or it has more rows than a direct download."""
    if table.background_only:
        return True
    limit = settings.EXPORT_DIRECT_MAX_ROWS
    return at_most(table, access.project.id, params, limit + 1) > limit


def export_direct_record(*, access: Access, table: ExportTable, export_format: str, params: dict[str, str]) -> None:
    """Audit a direct download (the file itself is streamed by the view)."""
    access.require("traces:read")
    audit_record(
        access=access,
        action="export.download",
        target_type="table",
        target_id=table.name,
        after={"format": export_format, "filters": params},
    )


def export_start(*, access: Access, table: ExportTable, export_format: str, params: dict[str, str]) -> ExportJob:
    """Queue a background export of the table with these filters; the worker writes the file."""
    access.require("traces:read")
    from apps.exports.tasks import run_export

    with transaction.atomic():
        job = ExportJob.objects.create(
            project=access.project,
            table=table.name,
            format=export_format,
            params=params,
            created_by=access.user,
            expires_at=timezone.now() + timedelta(days=settings.EXPORT_RETENTION_DAYS),
        )
        audit_record(
            access=access,
            action="export.start",
            target_type="export_job",
            target_id=job.id,
            after={"table": table.name, "format": export_format, "filters": params},
        )
        transaction.on_commit(lambda: jobs.dispatch(run_export, job))
    return job
