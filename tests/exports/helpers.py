"""Building export jobs and reading export files back, for the export tests."""

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from apps.core.blobs import blob_store
from apps.exports.models import ExportJob


def finished_export(project, *, table: str = "traces", export_format: str = "csv", body: bytes = b"id\r\nt1\r\n"):
    """A done job whose file really is in the blob store (as the worker leaves it)."""
    job = ExportJob.objects.create(
        project=project,
        table=table,
        format=export_format,
        status=ExportJob.Status.DONE,
        expires_at=timezone.now() + timedelta(days=7),
    )
    store = blob_store()
    with store.staging_file() as staged:
        staged.write(body)
    key = f"exports/{project.id}/{job.id}.{export_format}"
    store.adopt(key, Path(staged.name))
    ExportJob.objects.filter(id=job.id).update(file_key=key, file_bytes=len(body), rows_done=1)
    job.refresh_from_db()
    return job


def parse(body: bytes, export_format: str) -> list[dict]:
    """An export file's rows, whatever its format."""
    text = body.decode("utf-8")
    if export_format == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    if export_format == "json":
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines()]
