"""Deleting a project hides it at once and a real Celery worker purges it afterwards."""

import pytest

from apps.core.access import system_access
from apps.projects.models import Project
from apps.projects.services import project_delete
from tests.factories import ProjectFactory
from tests.worker import celery_worker, wait_until

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
