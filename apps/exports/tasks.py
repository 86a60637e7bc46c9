"""Writing an export file row by row with progress on its job; deleting expired exports."""

import logging
import os
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from apps.core import jobs
from apps.core.blobs import blob_store
from apps.core.tasks import task
from apps.exports.models import ExportJob
from apps.traces import export_tables, exports

logger = logging.getLogger("langops.exports")


class _Progress:
    """Counts rows read and skipped; writes the counts to the job every N rows."""

    def __init__(self, job_id: str) -> None:
        self.jobs = ExportJob.objects.filter(id=job_id)
        self.done = self.skipped = 0

    def count(self, rows: Iterator[dict | None]) -> Iterator[dict]:
        every = settings.EXPORT_PROGRESS_EVERY_ROWS
        for row in rows:
            self.done += 1
            if row is None:
                self.skipped += 1
            else:
                yield row
            if self.done % every == 0:
                self.jobs.update(rows_done=self.done, rows_skipped=self.skipped, heartbeat_at=timezone.now())


@task(queue="exports")
def run_export(*, job_id: str, project_id: str) -> None:
    """Stream the job's filtered table into a file of the blob store, then mark the job done."""
    if not jobs.claim(ExportJob, job_id, project_id, retrying=run_export.request.retries > 0):
        return  # gone, done, failed, or running elsewhere (a second message for it)
    job = ExportJob.objects.get(id=job_id)
    table = export_tables.TABLES[job.table]
    progress = _Progress(job.id)
    store = blob_store()
    key = f"exports/{project_id}/{job.id}.{job.format}"
    try:
        estimate = export_tables.at_most(table, project_id, job.params, settings.EXPORT_ESTIMATE_CAP)
        progress.jobs.update(
            rows_estimated=estimate, rows_done=0, rows_skipped=0, error="", heartbeat_at=timezone.now()
        )
        with store.staging_file() as staged:
            try:
                rows = progress.count(export_tables.rows(table, project_id, job.params))
                for piece in exports.encode(rows, job.format):
                    staged.write(piece.encode())
            except BaseException:
                staged.close()
                os.unlink(staged.name)
                raise
        size = os.path.getsize(staged.name)
        store.adopt(key, Path(staged.name), content_type=exports.FORMATS[job.format])
    except Exception as exc:
        progress.jobs.update(status=ExportJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        raise
    finished = progress.jobs.update(
        status=ExportJob.Status.DONE,
        rows_done=progress.done,
        rows_skipped=progress.skipped,
        file_key=key,
        file_bytes=size,
        finished_at=timezone.now(),
    )
    if not finished:  # the job was deleted while it ran (project purged): keep no orphan file
        store.delete(key)
    logger.info("export %s: %s rows, %s skipped, %s bytes", job.id, progress.done, progress.skipped, size)


@task(queue="exports")
def delete_expired_exports() -> int:
    """Delete export jobs past their expiry; their files go with them (see signals)."""
    deleted, _ = ExportJob.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


@task(queue="exports")
def sweep_export_jobs() -> int:
    """Queue again the export jobs no worker is on (apps.core.jobs)."""
    return jobs.sweep(ExportJob, run_export)
