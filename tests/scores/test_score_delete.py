"""DELETE /scores/{id}: 204, gone, audited; never another project's score; only a secret key may delete."""

import pytest

from apps.apikeys.services import api_key_revoke
from apps.audit.models import AuditEntry
from apps.core.access import system_access
from apps.scores.models import Score
from tests.conftest import make_key
from tests.ingestion.helpers import store as store_events
from tests.scores.helpers import get, score, seed

pytestmark = pytest.mark.core


def _delete(client, header: str, score_id: str):
    return client.delete(f"/api/public/scores/{score_id}", HTTP_AUTHORIZATION=header)


def _exists(project, score_id: str) -> bool:
    return Score.objects.filter(project_id=project.id, id=score_id).exists()


def test_delete_a_score(tenant, api_client):
    seed(tenant.project.id)
    response = _delete(api_client, tenant.project_key.header, "sc1")
    assert response.status_code == 204 and response.content == b""
    assert not _exists(tenant.project, "sc1")
    assert get(api_client, tenant.project_key, "/v2/scores/sc1").status_code == 404
    assert "sc1" not in [s["id"] for s in get(api_client, tenant.project_key, "/v2/scores").json()["data"]]
    assert [s["id"] for s in get(api_client, tenant.project_key, "/traces/t1").json()["scores"]] == ["sc2"]
    entry = AuditEntry.objects.get(action="score.delete")
    assert (entry.project_id, entry.target_type, entry.target_id) == (tenant.project.id, "score", "sc1")
    assert (entry.actor_type, entry.actor_api_key_id) == (AuditEntry.ActorType.API_KEY, tenant.project_key.id)
    assert entry.before["name"] == "quality" and entry.before["traceId"] == "t1"
    again = _delete(api_client, tenant.project_key.header, "sc1")
    assert again.status_code == 404
    assert again.json()["message"] == "Score sc1 not found within authorized project"
    assert AuditEntry.objects.filter(action="score.delete").count() == 1


@pytest.mark.parametrize("score_id", ["sc4", "sc5", "sc6"])  # session, dataset run, observation correction
def test_every_kind_of_score_can_be_deleted(tenant, api_client, score_id):
    seed(tenant.project.id)
    assert _delete(api_client, tenant.project_key.header, score_id).status_code == 204
    assert not _exists(tenant.project, score_id) and Score.objects.filter(project_id=tenant.project.id).count() == 5


def test_another_projects_score_is_404_and_kept(tenant, other_tenant, api_client):
    seed(tenant.project.id)
    store_events(other_tenant.project.id, [score("only-b", 0, traceId="t1", name="q", value=1)])
    store_events(other_tenant.project.id, [score("sc1", 0, traceId="t1", name="q", value=1)])
    assert _delete(api_client, tenant.project_key.header, "only-b").status_code == 404
    assert _exists(other_tenant.project, "only-b")
    # The same id in both projects: A's key deletes A's score only.
    assert _delete(api_client, tenant.project_key.header, "sc1").status_code == 204
    assert not _exists(tenant.project, "sc1") and _exists(other_tenant.project, "sc1")
    assert not AuditEntry.objects.filter(action="score.delete", project_id=other_tenant.project.id).exists()


def test_keys_that_may_not_delete(tenant, api_client):
    seed(tenant.project.id)
    # The browser SDK's public key may create scores (Bearer), never delete them.
    bearer = _delete(api_client, f"Bearer {tenant.project_key.public_key}", "sc1")
    assert bearer.status_code == 401
    # An organization key holds no project data scope.
    assert _delete(api_client, tenant.org_key.header, "sc1").status_code == 403
    # A revoked key.
    revoked = make_key(tenant.organization, tenant.project)
    api_key_revoke(access=system_access(tenant.organization), key_id=revoked.id, project=tenant.project)
    assert _delete(api_client, revoked.header, "sc1").status_code == 401
    assert _exists(tenant.project, "sc1")
    assert not AuditEntry.objects.filter(action="score.delete").exists()
