"""Background exports run by a real Celery worker process: queued -> done with progress and a file,
in the local store and in S3-compatible storage (moto's standalone server)."""

import urllib.request
from datetime import timedelta

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from apps.core.blobs import blob_store
from apps.exports.models import ExportJob
from apps.traces.models import Trace
from tests.exports.helpers import parse
from tests.s3 import s3_server
from tests.worker import celery_worker, wait_until

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres("the worker process needs a database it can share (PostgreSQL); SQLite tests run in memory"),
]

ROWS = 2500


@pytest.fixture
def many_traces(tenant):
    now = timezone.now()
    Trace.objects.bulk_create(
        Trace(
            project_id=tenant.project.id,
            id=f"t{i:05d}",
            name="chat" if i % 2 else "summary",
            timestamp=now - timedelta(seconds=i),
            input={"question": f"q{i}"},
            created_at=now,
            updated_at=now,
        )
        for i in range(ROWS)
    )
    return tenant


def _start(client, project_id: str, export_format: str) -> ExportJob:
    url = reverse("projects:export", args=[project_id, "traces"])
    response = client.post(f"{url}?range=24h", {"format": export_format})
    assert response.status_code == 302
    job = ExportJob.objects.get(project_id=project_id)
    assert job.status == "queued" and job.rows_done == 0  # nothing has run it yet
    return job


def _finish(job: ExportJob, env: dict | None = None) -> ExportJob:
    with celery_worker(queues="exports", env=env):
        assert wait_until(lambda: ExportJob.objects.get(id=job.id).status in ("done", "failed"), timeout=60)
    job.refresh_from_db()
    assert job.status == "done", job.error
    return job


def test_worker_writes_the_export_with_progress(many_traces, member_client, settings):
    settings.EXPORT_DIRECT_MAX_ROWS = 100
    job = _start(member_client, many_traces.project.id, "jsonl")
    job = _finish(job)
    assert (job.rows_done, job.rows_estimated, job.percent) == (ROWS, ROWS, 100)
    assert blob_store().exists(job.file_key) and job.file_key.startswith(f"exports/{many_traces.project.id}/")
    response = member_client.get(reverse("projects:export_download", args=[job.project_id, job.id]))
    rows = parse(b"".join(response.streaming_content), "jsonl")
    assert len(rows) == ROWS and rows[0]["id"] == "t00000" and rows[-1]["input"] == {"question": f"q{ROWS - 1}"}


def test_worker_exports_to_s3_and_the_download_is_a_presigned_url(many_traces, member_client, settings, monkeypatch):
    settings.EXPORT_DIRECT_MAX_ROWS = 100
    with s3_server() as s3_env:
        for name, value in s3_env.items():
            monkeypatch.setenv(name, value)
        settings.LANGOPS_S3_BUCKET = s3_env["LANGOPS_S3_BUCKET"]
        settings.LANGOPS_S3_ENDPOINT_URL = s3_env["LANGOPS_S3_ENDPOINT_URL"]
        blob_store.cache_clear()
        try:
            job = _finish(_start(member_client, many_traces.project.id, "csv"), env=s3_env)
            response = member_client.get(reverse("projects:export_download", args=[job.project_id, job.id]))
            assert response.status_code == 302 and response["Location"].startswith(s3_env["LANGOPS_S3_ENDPOINT_URL"])
            with urllib.request.urlopen(response["Location"], timeout=10) as download:
                body = download.read()
            assert len(body) == job.file_bytes and len(parse(body, "csv")) == ROWS
            store = blob_store()
            assert store.exists(job.file_key)
            ExportJob.objects.filter(id=job.id).delete()  # the file goes with the job
            assert not store.exists(job.file_key)
        finally:
            blob_store.cache_clear()


def test_an_export_whose_message_was_lost_is_queued_again_by_the_sweeper(many_traces, member_client, settings):

    settings.EXPORT_DIRECT_MAX_ROWS = 100
    job = _start(member_client, many_traces.project.id, "csv")
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # the job's message is gone
    fast_sweep = {"LANGOPS_SWEEP_INTERVAL_SECONDS": "1", "LANGOPS_ENRICHMENT_GRACE_SECONDS": "0"}
    with celery_worker(queues="exports,default", beat=True, env=fast_sweep):
        assert wait_until(lambda: ExportJob.objects.get(id=job.id).status in ("done", "failed"), timeout=60)
    job.refresh_from_db()
    assert (job.status, job.rows_done) == ("done", ROWS), job.error
