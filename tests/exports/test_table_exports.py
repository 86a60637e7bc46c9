"""Exports of every console table: exactly the filtered rows, in each format, streamed; jobs and
their files, with permissions and expiry. The real-worker and S3 runs are in test_export_worker.py."""

import json
import tracemalloc
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.core.blobs import blob_store
from apps.core.errors import InvalidRequest
from apps.core.roles import Role
from apps.exports.models import ExportJob
from apps.exports.tasks import delete_expired_exports, run_export
from apps.traces.models import Trace
from tests.conftest import client_for
from tests.exports.helpers import finished_export, parse
from tests.factories import ProjectFactory
from tests.ingestion.helpers import store

pytestmark = pytest.mark.core

FORMATS = ("csv", "json", "jsonl")
NOW = timezone.now().replace(microsecond=0)


def at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def _write(project_id: str, raw: list[dict]) -> None:
    events = [{"id": f"e{i}", "type": kind, "timestamp": at(0), "body": body} for i, (kind, body) in enumerate(raw)]
    store(project_id, events)


@pytest.fixture
def explorer(tenant):
    """Three traces in two sessions of two users; generations of two models, two recent errors, one old."""
    _write(
        tenant.project.id,
        [
            ("trace-create", {"id": "t1", "name": "chat", "userId": "alice", "sessionId": "s1", "timestamp": at(30)}),
            ("trace-create", {"id": "t2", "name": "chat", "userId": "bob", "sessionId": "s2", "timestamp": at(20)}),
            (
                "trace-create",
                {"id": "t3", "name": "summary", "userId": "alice", "sessionId": "s1", "timestamp": at(10)},
            ),
            ("trace-create", {"id": "t-old", "name": "old", "timestamp": at(60 * 24 * 10)}),
            (
                "generation-create",
                {
                    "id": "g1",
                    "traceId": "t1",
                    "name": "answer",
                    "model": "gpt-4o",
                    "startTime": at(30),
                    "endTime": at(29),
                    "input": [{"role": "user", "content": "東京の天気は？"}],
                    "output": "晴れです。",
                },
            ),
            (
                "generation-create",
                {
                    "id": "g2",
                    "traceId": "t2",
                    "name": "answer",
                    "model": "claude-3-5-sonnet",
                    "startTime": at(20),
                    "input": "Summarise this",
                    "output": {"choices": [{"message": {"role": "assistant", "content": "Done."}}]},
                    "level": "ERROR",
                    "statusMessage": "rate limit",
                },
            ),
            (
                "generation-create",
                {"id": "g3", "traceId": "t3", "name": "summarise", "model": "gpt-4o-mini", "startTime": at(10)},
            ),
            (
                "span-create",
                {
                    "id": "sp1",
                    "traceId": "t1",
                    "name": "tool",
                    "startTime": at(30),
                    "level": "ERROR",
                    "statusMessage": "boom",
                },
            ),
            (
                "span-create",
                {
                    "id": "sp-old",
                    "traceId": "t-old",
                    "name": "tool",
                    "startTime": at(60 * 24 * 10),
                    "level": "ERROR",
                    "statusMessage": "ancient",
                },
            ),
        ],
    )
    return tenant


def _export(client, project_id: str, table: str, params: dict, export_format: str, **post):
    url = reverse("projects:export", args=[project_id, table])
    query = urlencode(params)
    return client.post(f"{url}?{query}" if query else url, {"format": export_format, **post})


def _rows(response, export_format: str) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse), response.status_code
    assert response["Content-Disposition"].endswith(f'.{export_format}"')
    return parse(b"".join(response.streaming_content), export_format)


CASES = [
    ("traces", {}, "id", ["t3", "t2", "t1", "t-old"]),
    ("traces", {"user": "alice"}, "id", ["t3", "t1"]),
    ("traces", {"range": "24h", "session": "s1"}, "id", ["t3", "t1"]),
    (
        "traces",
        {"filter": json.dumps([{"type": "string", "column": "name", "operator": "=", "value": "chat"}])},
        "id",
        ["t2", "t1"],
    ),
    ("sessions", {}, "sessionId", ["s1", "s2"]),
    ("sessions", {"q": "s2"}, "sessionId", ["s2"]),
    ("users", {"q": "ali"}, "userId", ["alice"]),
    ("observations", {}, "id", ["g3", "g2", "g1"]),  # generations by default, newest first
    ("observations", {"model": "gpt-4o"}, "id", ["g3", "g1"]),
    ("observations", {"type": "ALL", "level": "ERROR", "range": "24h"}, "id", ["g2", "sp1"]),
    ("observations", {"type": "SPAN", "name": "tool"}, "id", ["sp1", "sp-old"]),
    ("errors", {}, "statusMessage", ["boom", "rate limit"]),  # the last 24 hours by default
    ("errors", {"range": "all"}, "statusMessage", ["ancient", "boom", "rate limit"]),
]


@pytest.mark.parametrize("export_format", FORMATS)
@pytest.mark.parametrize(("table", "params", "key", "expected"), CASES)
def test_export_holds_exactly_the_filtered_rows(explorer, member_client, table, params, key, expected, export_format):
    response = _export(member_client, explorer.project.id, table, params, export_format)
    rows = _rows(response, export_format)
    if table == "errors":  # grouped rows: ordered by count, then recency (ties are not part of the contract)
        assert sorted(r[key] for r in rows) == expected
    else:
        assert [r[key] for r in rows] == expected


def test_rows_carry_the_tables_columns_and_payloads(explorer, member_client):
    (g1,) = _rows(
        _export(member_client, explorer.project.id, "observations", {"name": "answer", "model": "gpt"}, "json"), "json"
    )
    assert g1["input"] == [{"role": "user", "content": "東京の天気は？"}] and g1["output"] == "晴れです。"
    assert g1["latency"] == 60.0 and g1["traceId"] == "t1" and g1["model"] == "gpt-4o"
    (s1,) = _rows(_export(member_client, explorer.project.id, "sessions", {"q": "s1"}, "csv"), "csv")
    assert s1["traces"] == "2" and s1["userId"] == "alice"
    (alice,) = _rows(_export(member_client, explorer.project.id, "users", {"q": "alice"}, "jsonl"), "jsonl")
    assert alice["traces"] == 2 and alice["errors"] == 1


@pytest.mark.parametrize("export_format", FORMATS)
def test_a_traces_export_holds_the_columns_the_table_shows(explorer, member_client, export_format):
    always = {"id", "timestamp", "name", "input", "output", "metadata"}
    chosen = _rows(
        _export(member_client, explorer.project.id, "traces", {"cols": "cost,release"}, export_format), export_format
    )
    assert set(chosen[0]) == always | {"totalCost", "release"}
    default = _rows(_export(member_client, explorer.project.id, "traces", {}, export_format), export_format)
    assert set(default[0]) == always | {
        "userId",
        "sessionId",
        "tags",
        "latency",
        "totalTokens",
        "totalCost",
        "errorCount",
    }
    every = "user,session,tags,latency,tokens,cost,level,scores,environment,release,version,observations"
    full = _rows(_export(member_client, explorer.project.id, "traces", {"cols": every}, export_format), export_format)
    assert {"environment", "version", "observationCount"} <= set(full[0])


def test_another_projects_rows_never_leak(explorer, other_tenant, member_client):
    _write(other_tenant.project.id, [("trace-create", {"id": "foreign", "userId": "alice", "sessionId": "s1"})])
    rows = _rows(_export(member_client, explorer.project.id, "traces", {}, "jsonl"), "jsonl")
    assert "foreign" not in {r["id"] for r in rows}
    (s1,) = _rows(_export(member_client, explorer.project.id, "sessions", {"q": "s1"}, "json"), "json")
    assert s1["traces"] == 2


def test_viewer_exports_and_the_download_is_audited(explorer):
    viewer = client_for(explorer.users[Role.VIEWER])
    assert [r["id"] for r in _rows(_export(viewer, explorer.project.id, "traces", {"user": "bob"}, "csv"), "csv")] == [
        "t2"
    ]
    entry = AuditEntry.objects.get(action="export.download")
    assert entry.target_id == "traces" and entry.after == {"format": "csv", "filters": {"user": "bob"}}


def test_unknown_tables_formats_and_methods(explorer, member_client):
    project_id = explorer.project.id
    assert _export(member_client, project_id, "secrets", {}, "csv").status_code == 404
    assert _export(member_client, project_id, "traces", {}, "xml").status_code == 404
    assert _export(member_client, project_id, "finetune", {}, "csv").status_code == 404
    assert member_client.get(reverse("projects:export", args=[project_id, "traces"])).status_code == 405


def test_a_filter_the_table_refuses_sends_back_to_the_table(explorer, member_client):
    response = _export(member_client, explorer.project.id, "traces", {"filter": "not json", "user": "bob"}, "csv")
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:traces", args=[explorer.project.id]) + "?filter=not+json&user=bob"
    assert not ExportJob.objects.exists()


def test_a_refused_filter_starts_no_background_job_either(explorer, member_client):
    response = _export(member_client, explorer.project.id, "traces", {"filter": "not json"}, "csv", background="1")
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:traces", args=[explorer.project.id]) + "?filter=not+json"
    assert not ExportJob.objects.exists()


def test_a_job_whose_filter_fails_in_the_worker_is_marked_failed(explorer, member_client):
    _export(member_client, explorer.project.id, "traces", {}, "csv", background="1")
    job = ExportJob.objects.get()
    ExportJob.objects.filter(id=job.id).update(params={"filter": "not json"})  # e.g. a grammar changed since
    with pytest.raises(InvalidRequest):
        run_export(job_id=job.id, project_id=job.project_id)
    job.refresh_from_db()
    assert job.status == "failed" and job.error and job.finished_at is not None


def test_filter_values_are_length_capped_and_unknown_parameters_dropped(explorer, member_client):
    _export(member_client, explorer.project.id, "traces", {"user": "x" * 5000, "evil": "1"}, "csv", background="1")
    job = ExportJob.objects.get()
    assert job.params == {"user": "x" * 4000}


def test_streaming_reads_rows_a_chunk_at_a_time(tenant, member_client):
    """Memory stays flat: 34 MB of rows stream through with a peak far below their size (about 10 MB
    here; reading the table whole would peak above 80 MB)."""
    now = timezone.now()
    big = "x" * 2000
    Trace.objects.bulk_create(
        Trace(
            project_id=tenant.project.id,
            id=f"bulk-{i:05d}",
            timestamp=now - timedelta(seconds=i),
            input=big,
            output=big,
            created_at=now,
            updated_at=now,
        )
        for i in range(8000)
    )
    response = _export(member_client, tenant.project.id, "traces", {}, "jsonl")
    assert isinstance(response, StreamingHttpResponse)
    tracemalloc.start()
    try:
        size = lines = 0
        for piece in response.streaming_content:
            size += len(piece)
            lines += piece.count(b"\n")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == 8000 and size > 33_000_000
    assert peak < size / 2, f"peak {peak} bytes for {size} bytes exported"


# --- Background jobs ------------------------------------------------------------------------------


def _start_job(client, project_id, table, params, export_format) -> ExportJob:
    response = _export(client, project_id, table, params, export_format)
    assert response.status_code == 302 and response["Location"] == reverse("projects:exports", args=[project_id])
    return ExportJob.objects.get(project_id=project_id, table=table)


def _download(client, job: ExportJob) -> bytes:
    response = client.get(reverse("projects:export_download", args=[job.project_id, job.id]))
    assert response.status_code == 200, response.status_code
    assert f'filename="{job.filename}"' in response["Content-Disposition"]
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("export_format", FORMATS)
def test_large_export_becomes_a_job_with_progress_and_a_file(
    explorer, member_client, settings, django_capture_on_commit_callbacks, export_format
):
    settings.EXPORT_DIRECT_MAX_ROWS = 1
    settings.EXPORT_PROGRESS_EVERY_ROWS = 1
    with django_capture_on_commit_callbacks() as captured:
        job = _start_job(member_client, explorer.project.id, "traces", {"user": "alice"}, export_format)
    assert len(captured) == 1  # run_export is queued once the job row is committed
    assert job.status == "queued" and job.params == {"user": "alice"} and job.created_by == explorer.users[Role.MEMBER]
    page = member_client.get(reverse("projects:exports", args=[explorer.project.id]))
    assert b'hx-trigger="every 2s"' in page.content  # the page polls while the job is queued

    with CaptureQueriesContext(connection) as queries:
        run_export(job_id=job.id, project_id=job.project_id)
    progress_writes = [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "exports_exportjob"')]
    assert len(progress_writes) == 1 + 1 + 2 + 1  # claimed, its estimate, one per row, done

    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_estimated, job.rows_skipped) == ("done", 2, 2, 0)
    assert job.percent == 100 and job.file_bytes > 0 and job.finished_at is not None
    body = _download(member_client, job)
    assert len(body) == job.file_bytes
    assert [r["id"] for r in parse(body, export_format)] == ["t3", "t1"]
    fragment = member_client.get(reverse("projects:export_jobs", args=[explorer.project.id]))
    assert b"every 2s" not in fragment.content and b"Download" in fragment.content


def test_background_can_be_asked_for_a_small_export(explorer, member_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as captured:
        response = _export(member_client, explorer.project.id, "sessions", {}, "json", background="1")
    assert response.status_code == 302 and len(captured) == 1
    job = ExportJob.objects.get(table="sessions")
    run_export(job_id=job.id, project_id=job.project_id)
    assert [r["sessionId"] for r in parse(_download(member_client, ExportJob.objects.get(id=job.id)), "json")] == [
        "s1",
        "s2",
    ]


def test_finetune_export_is_a_job_that_counts_skipped_generations(
    explorer, member_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as captured:
        job = _start_job(member_client, explorer.project.id, "finetune", {"type": "ALL"}, "jsonl")
    assert len(captured) == 1
    assert job.params == {}  # the type is always GENERATION
    run_export(job_id=job.id, project_id=job.project_id)
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_skipped) == ("done", 3, 1)  # g3 has neither input nor output
    examples = parse(_download(member_client, job), "jsonl")
    assert examples == [
        {"messages": [{"role": "user", "content": "Summarise this"}, {"role": "assistant", "content": "Done."}]},
        {"messages": [{"role": "user", "content": "東京の天気は？"}, {"role": "assistant", "content": "晴れです。"}]},
    ]
    page = member_client.get(reverse("projects:exports", args=[explorer.project.id]))
    assert b"1 row skipped" in page.content


def test_finetune_export_applies_the_observation_filters(explorer, member_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as captured:
        job = _start_job(member_client, explorer.project.id, "finetune", {"model": "claude"}, "jsonl")
    assert len(captured) == 1
    run_export(job_id=job.id, project_id=job.project_id)
    examples = parse(_download(member_client, ExportJob.objects.get(id=job.id)), "jsonl")
    assert [e["messages"][0]["content"] for e in examples] == ["Summarise this"]


def test_a_failing_export_says_why_and_leaves_no_file(explorer, member_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as captured:
        job = _start_job(member_client, explorer.project.id, "finetune", {}, "jsonl")
    assert len(captured) == 1
    ExportJob.objects.filter(id=job.id).update(format="xml")  # no writer for it
    staging = Path(blob_store().root, ".incoming")
    before = set(staging.glob("*"))
    with pytest.raises(KeyError):
        run_export(job_id=job.id, project_id=job.project_id)
    job.refresh_from_db()
    assert job.status == "failed" and "xml" in job.error and job.file_key == "" and job.finished_at is not None
    assert set(staging.glob("*")) == before


# --- Job permissions and lifetime ------------------------------------------------------------------


def test_job_files_are_project_scoped(tenant, other_tenant, member_client):
    sibling = ProjectFactory(organization=tenant.organization)
    theirs = finished_export(sibling)
    # The same member, through a project they can read, asking for a sibling project's job.
    assert (
        member_client.get(reverse("projects:export_download", args=[tenant.project.id, theirs.id])).status_code == 404
    )
    foreign = finished_export(other_tenant.project)
    assert (
        member_client.get(reverse("projects:export_download", args=[tenant.project.id, foreign.id])).status_code == 404
    )
    outsider = client_for(other_tenant.users[Role.OWNER])
    mine = finished_export(tenant.project)
    assert outsider.get(reverse("projects:export_download", args=[tenant.project.id, mine.id])).status_code == 404
    assert outsider.get(reverse("projects:export_download", args=[other_tenant.project.id, mine.id])).status_code == 404
    listing = member_client.get(reverse("projects:exports", args=[tenant.project.id])).content.decode()
    assert mine.id in listing and theirs.id not in listing and foreign.id not in listing


def test_viewer_downloads_a_finished_export(tenant):
    job = finished_export(tenant.project, body=b"id\r\nt9\r\n")
    viewer = client_for(tenant.users[Role.VIEWER])
    assert _download(viewer, job) == b"id\r\nt9\r\n"


def test_unfinished_and_expired_jobs_have_nothing_to_download(tenant, member_client):
    job = finished_export(tenant.project)
    url = reverse("projects:export_download", args=[tenant.project.id, job.id])
    ExportJob.objects.filter(id=job.id).update(status="running")
    assert member_client.get(url).status_code == 404
    ExportJob.objects.filter(id=job.id).update(status="done", expires_at=timezone.now() - timedelta(seconds=1))
    assert member_client.get(url).status_code == 404
    assert job.id not in member_client.get(reverse("projects:exports", args=[tenant.project.id])).content.decode()


def test_expired_exports_are_deleted_with_their_files(tenant, django_capture_on_commit_callbacks):
    old = finished_export(tenant.project)
    fresh = finished_export(tenant.project)
    ExportJob.objects.filter(id=old.id).update(expires_at=timezone.now() - timedelta(days=1))
    store = blob_store()
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_expired_exports() == 1
    assert not store.exists(old.file_key) and not ExportJob.objects.filter(id=old.id).exists()
    assert store.exists(fresh.file_key)


def test_a_purged_project_takes_its_exports_and_files(tenant, django_capture_on_commit_callbacks):
    job = finished_export(tenant.project)
    with django_capture_on_commit_callbacks(execute=True):
        tenant.project.delete()
    assert not ExportJob.objects.filter(id=job.id).exists() and not blob_store().exists(job.file_key)
