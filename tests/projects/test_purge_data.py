"""apps.projects.purge on either database, in batches (the worker tests cover the task on PostgreSQL)."""

import pytest

from apps.projects import purge
from apps.traces.models import Observation, Trace
from tests.conftest import make_key
from tests.factories import ProjectFactory

pytestmark = [pytest.mark.core, pytest.mark.django_db]


def test_project_data_is_deleted_in_batches_and_other_projects_keep_theirs(client, monkeypatch):
    monkeypatch.setattr(purge, "BATCH_ROWS", 3)  # several batches for 12 observations
    gone, kept = ProjectFactory(), ProjectFactory()
    for project in (gone, kept):
        key = make_key(project.organization, project)
        batch = [
            {
                "id": f"e{i}",
                "type": "span-create",
                "timestamp": "2026-11-29T10:00:00.000Z",
                "body": {"id": f"s{i}", "traceId": f"t{i % 2}"},
            }
            for i in range(12)
        ]
        response = client.post(
            "/api/public/ingestion", {"batch": batch}, content_type="application/json", HTTP_AUTHORIZATION=key.header
        )
        assert response.status_code == 207 and not response.json()["errors"]
    assert purge.purge_project_data(gone.id) >= 14  # 12 observations and 2 traces at least
    assert not Observation.objects.filter(project_id=gone.id).exists() and not Trace.objects.filter(project_id=gone.id)
    assert Observation.objects.filter(project_id=kept.id).count() == 12 and Trace.objects.filter(project_id=kept.id)
