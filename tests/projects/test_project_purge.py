"""Deleting a project hides it at once and a real Celery worker purges it afterwards."""

import importlib
import threading

import pytest
import redis
from django.apps import apps
from django.db import connection
from django.utils import timezone

from apps.core.access import system_access
from apps.core.blobs import blob_store
from apps.ingestion.models import IngestionCounter
from apps.media.models import Media
from apps.organizations.services import organization_delete
from apps.projects.models import PendingPurge, Project
from apps.projects.purge import only_purge
from apps.projects.services import project_delete
from apps.projects.tasks import project_purge, sweep_deleted_projects
from apps.scores.models import Score
from apps.traces.models import Observation, Session, Trace
from tests.conftest import make_key
from tests.factories import ProjectFactory
from tests.worker import broker_unreachable, celery_worker, wait_until

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres("the worker process needs a database it can share (PostgreSQL); SQLite tests run in memory"),
]


def test_deleted_project_is_purged_by_the_worker():
    project = ProjectFactory()
    keep = ProjectFactory(organization=project.organization)
    project_delete(access=system_access(project.organization), project_id=project.id)
    assert Project.objects.get(id=project.id).deleted_at is not None
    with celery_worker():
        assert wait_until(lambda: not Project.objects.filter(id=project.id).exists())
    assert Project.objects.filter(id=keep.id).exists()


def test_a_purge_whose_message_was_lost_is_queued_again_by_the_sweeper(settings):
    project = ProjectFactory()
    project_delete(access=system_access(project.organization), project_id=project.id)
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # the purge's message is gone
    fast_sweep = {"LANGOPS_SWEEP_INTERVAL_SECONDS": "1", "LANGOPS_ENRICHMENT_GRACE_SECONDS": "0"}
    with celery_worker(beat=True, env=fast_sweep):
        assert wait_until(lambda: not Project.objects.filter(id=project.id).exists(), timeout=60)


def test_deleting_a_project_with_the_broker_down_still_answers_and_is_purged_later(settings):
    project = ProjectFactory()
    with broker_unreachable():
        project_delete(access=system_access(project.organization), project_id=project.id)  # no error after commit
    assert Project.objects.get(id=project.id).deleted_at is not None
    assert sweep_deleted_projects.run() == 0  # within the grace period: not yet
    settings.ENRICHMENT_GRACE_SECONDS = 0
    assert sweep_deleted_projects.run() == 1  # queued again (now that the broker answers)
    with celery_worker():
        assert wait_until(lambda: not Project.objects.filter(id=project.id).exists(), timeout=60)


def test_a_second_purge_of_a_project_being_purged_does_nothing():
    project = ProjectFactory()
    project_delete(access=system_access(project.organization), project_id=project.id)
    with only_purge(project.id) as mine:  # a purge under way (this connection holds the project)
        assert mine
        other = threading.Thread(target=_purge_in_another_connection, args=(project.id,))
        other.start()
        other.join(timeout=30)
        assert not other.is_alive()  # it did not wait
        assert Project.objects.filter(id=project.id).exists()  # and did nothing
    project_purge.run(project_id=project.id)
    assert not Project.objects.filter(id=project.id).exists()


def _purge_in_another_connection(project_id: str) -> None:
    try:
        project_purge.run(project_id=project_id)
    finally:
        connection.close()


def _ingest(client, key, trace_id: str) -> None:
    batch = [
        {
            "id": f"{trace_id}-t",
            "type": "trace-create",
            "timestamp": "2026-11-29T10:00:00.000Z",
            "body": {"id": trace_id, "name": "t", "sessionId": f"{trace_id}-session"},
        },
        {
            "id": f"{trace_id}-g",
            "type": "generation-create",
            "timestamp": "2026-11-29T10:00:00.000Z",
            "body": {"id": f"{trace_id}-gen", "traceId": trace_id, "model": "gpt-4o", "usage": {"input": 5}},
        },
        {
            "id": f"{trace_id}-s",
            "type": "score-create",
            "timestamp": "2026-11-29T10:00:00.000Z",
            "body": {"id": f"{trace_id}-score", "traceId": trace_id, "name": "q", "value": 1},
        },
    ]
    response = client.post(
        "/api/public/ingestion", {"batch": batch}, content_type="application/json", HTTP_AUTHORIZATION=key.header
    )
    assert response.status_code == 207 and not response.json()["errors"]


def test_a_purge_deletes_everything_the_project_owns_and_nothing_else(client):
    gone, kept = ProjectFactory(), ProjectFactory()
    for project in (gone, kept):
        _ingest(client, make_key(project.organization, project), f"trace-{project.id}")
        Media.objects.create(
            project_id=project.id,
            id=f"m{project.id}"[:22],
            sha256_hash="h",
            content_type="text/plain",
            content_length=1,
            storage_key=f"media/{project.id}/m",
        )
        blob_store().path(f"media/{project.id}/m").parent.mkdir(parents=True, exist_ok=True)
        blob_store().path(f"media/{project.id}/m").write_text("x")
    project_delete(access=system_access(gone.organization), project_id=gone.id)
    project_purge.run(project_id=gone.id)
    for model in (Trace, Observation, Session, Score, Media, IngestionCounter):
        assert not model.objects.filter(project_id=gone.id).exists(), model.__name__
        assert model.objects.filter(project_id=kept.id).exists(), model.__name__
    assert not blob_store().path(f"media/{gone.id}/m").exists() and blob_store().path(f"media/{kept.id}/m").exists()
    assert not Project.objects.filter(id=gone.id).exists()


def test_deleting_an_organization_purges_its_projects_data(client):
    project = ProjectFactory()
    _ingest(client, make_key(project.organization, project), "org-trace")
    organization_delete(access=system_access(project.organization))  # the project row goes at once
    assert Trace.objects.filter(project_id=project.id).exists()
    with celery_worker():
        assert wait_until(lambda: not Trace.objects.filter(project_id=project.id).exists(), timeout=60)
    assert not Observation.objects.filter(project_id=project.id).exists()


def test_a_live_project_is_never_purged(client):
    project = ProjectFactory()
    _ingest(client, make_key(project.organization, project), "live-trace")
    project_purge.run(project_id=project.id)  # a stray message
    assert Trace.objects.filter(project_id=project.id).exists() and Project.objects.filter(id=project.id).exists()


def test_an_organization_deleted_with_the_broker_down_has_its_projects_purged_by_the_sweeper(client, settings):
    project = ProjectFactory()
    _ingest(client, make_key(project.organization, project), "orphan-trace")
    with broker_unreachable():
        organization_delete(access=system_access(project.organization))  # the purge messages are lost
    assert not Project.objects.filter(id=project.id).exists()  # nothing but the pending purge names it
    assert PendingPurge.objects.filter(project_id=project.id).exists()
    assert sweep_deleted_projects.run() == 0  # within the grace period: not yet
    settings.ENRICHMENT_GRACE_SECONDS = 0
    assert sweep_deleted_projects.run() == 1
    with celery_worker():
        assert wait_until(lambda: not PendingPurge.objects.filter(project_id=project.id).exists(), timeout=60)
    assert not Trace.objects.filter(project_id=project.id).exists()
    assert not Observation.objects.filter(project_id=project.id).exists()
    assert sweep_deleted_projects.run() == 0  # done: nothing left to queue


def test_projects_deleted_before_pending_purges_existed_get_one():
    deleted, live = ProjectFactory(), ProjectFactory()
    Project.objects.filter(id=deleted.id).update(deleted_at=timezone.now())
    migration = importlib.import_module("apps.projects.migrations.0002_pending_purge")
    migration.pending_for_deleted_projects(apps, None)
    assert list(PendingPurge.objects.values_list("project_id", flat=True)) == [deleted.id]
    assert not PendingPurge.objects.filter(project_id=live.id).exists()
