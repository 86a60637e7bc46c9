"""Deleting a project hides it at once and a real Celery worker purges it afterwards."""

import threading

import pytest
import redis
from django.db import connection, transaction

from apps.core.access import system_access
from apps.projects.models import Project
from apps.projects.services import project_delete
from apps.projects.tasks import project_purge, sweep_deleted_projects
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
    with transaction.atomic():
        Project.objects.select_for_update().get(id=project.id)  # a purge under way holds the row
        done = threading.Thread(target=_purge_in_another_connection, args=(project.id,))
        done.start()
        done.join(timeout=30)
        assert not done.is_alive()  # it did not wait for the lock
    assert Project.objects.filter(id=project.id).exists()
    project_purge.run(project_id=project.id)
    assert not Project.objects.filter(id=project.id).exists()


def _purge_in_another_connection(project_id: str) -> None:
    try:
        project_purge.run(project_id=project_id)
    finally:
        connection.close()
