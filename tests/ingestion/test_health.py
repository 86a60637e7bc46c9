"""Ingestion health: counters per key and outcome, refused samples, the doctor, health, rate limits."""

import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.ingestion.models import Heartbeat, IngestionCounter, IngestionRejection
from apps.traces.models import Observation
from tests.conftest import basic_auth
from tests.ingestion.helpers import event, post_batch

pytestmark = pytest.mark.core


def _counts(tenant) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in IngestionCounter.objects.filter(project_id=tenant.project.id):
        totals[row.outcome] = totals.get(row.outcome, 0) + row.count
    return totals


def _doctor(member_client, tenant):
    page = member_client.get(reverse("projects:ingestion_health", args=[tenant.project.id]))
    assert page.status_code == 200
    return page.context["findings"]


def test_nothing_arrived(member_client, tenant):
    [finding] = _doctor(member_client, tenant)
    assert finding.level == "error" and "Nothing has reached" in finding.title


def test_accepted_and_rejected_are_counted_with_samples(tenant, api_client, member_client):
    post_batch(
        api_client,
        tenant.project_key.header,
        [
            event("trace-create", {"id": "ok"}),
            event("span-create", {"id": 5, "traceId": "t"}),
            event("score-create", {"traceId": "t", "name": "", "value": 1}),
        ],
    )
    assert _counts(tenant) == {"accepted": 1, "rejected": 2}
    counter = IngestionCounter.objects.get(project_id=tenant.project.id, outcome="accepted")
    assert counter.api_key_id == tenant.project_key.id
    samples = IngestionRejection.objects.filter(project_id=tenant.project.id)
    assert {s.event_type for s in samples} == {"span-create", "score-create"}
    assert all(s.sample and s.reason for s in samples)
    findings = _doctor(member_client, tenant)
    assert [f.level for f in findings] == ["warning", "ok"]
    assert "2 events were rejected" in findings[0].title and "name must not be empty" in findings[0].detail


def test_wrong_secret_revoked_key_and_wrong_path_are_diagnosed(tenant, api_client, member_client):
    api_client.get("/api/public/projects", HTTP_AUTHORIZATION=basic_auth(tenant.project_key.public_key, "sk-lf-wrong"))
    api_client.post(
        "/api/public/ingestions", "{}", content_type="application/json", HTTP_AUTHORIZATION=tenant.project_key.header
    )
    from apps.apikeys.services import api_key_revoke
    from apps.core.access import system_access

    api_key_revoke(access=system_access(tenant.organization), key_id=tenant.project_key.id, project=tenant.project)
    post_batch(api_client, tenant.project_key.header, [event("trace-create", {"id": "x"})])
    assert _counts(tenant) == {"auth_failed": 1, "wrong_path": 1, "revoked_key": 1}
    titles = " | ".join(f.title + " " + f.detail for f in _doctor(member_client, tenant))
    assert "wrong secret key" in titles and "revoked key" in titles and "/api/public/ingestions" in titles


def test_oversize_is_counted(tenant, api_client):
    post_batch(api_client, tenant.project_key.header, [event("trace-create", {"id": "b", "input": "x" * 4_600_000})])
    assert _counts(tenant) == {"oversize": 1}


def test_rate_limit(tenant, api_client, settings):
    settings.INGESTION_RATE_LIMIT_PER_MINUTE = 2
    header = tenant.project_key.header
    assert post_batch(api_client, header, [event("trace-create", {"id": "1"})]).status_code == 207
    assert post_batch(api_client, header, [event("trace-create", {"id": "2"})]).status_code == 207
    response = post_batch(api_client, header, [event("trace-create", {"id": "3"})])
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["X-RateLimit-Limit"] == "2" and response["X-RateLimit-Remaining"] == "0"
    assert "GMT+0000" in response["X-RateLimit-Reset"]
    body = response.json()
    assert body["code"] == "rate_limited" and body["details"]["limit"] == 2
    assert _counts(tenant)["rate_limited"] == 1


def test_rate_limit_is_off_by_default(tenant, api_client, settings):
    assert settings.INGESTION_RATE_LIMIT_PER_MINUTE == 0
    for n in range(5):
        assert (
            post_batch(api_client, tenant.project_key.header, [event("trace-create", {"id": str(n)})]).status_code
            == 207
        )


def test_pending_events_are_shown_and_make_health_fail_when_stale(tenant, api_client, member_client, settings):
    post_batch(
        api_client,
        tenant.project_key.header,
        [event("generation-create", {"id": "g", "traceId": "t", "model": "gpt-4o", "input": "count me"})],
    )
    findings = _doctor(member_client, tenant)
    assert any(f.level == "info" and "still being processed" in f.title for f in findings)
    assert api_client.get("/api/public/health").status_code == 200
    Observation.objects.filter(project_id=tenant.project.id).update(updated_at=timezone.now() - timedelta(hours=1))
    response = api_client.get("/api/public/health")
    assert response.status_code == 503
    assert "waiting for processing" in response.json()["status"]
    assert "no background worker" in response.json()["status"]
    Heartbeat.objects.create(name="sweeper", at=timezone.now())
    assert "no background worker" not in api_client.get("/api/public/health").json()["status"]


def _health(api_client) -> tuple[int, str]:
    response = api_client.get("/api/public/health")
    return response.status_code, response.json()["status"]


def test_a_stale_heartbeat_is_unhealthy_even_when_nothing_waits(db, api_client, settings):
    """A worker that ran and stopped is a problem on its own, before any event waits too long."""
    settings.HEALTH_MAX_PIPELINE_LAG_SECONDS = 600
    Heartbeat.objects.create(name="sweeper", at=timezone.now() - timedelta(hours=1))
    status, text = _health(api_client)
    assert status == 503
    assert "no background worker" in text and "waiting for processing" not in text


def test_a_fresh_heartbeat_and_a_fresh_install_are_healthy(db, api_client):
    assert _health(api_client) == (200, "OK")  # no heartbeat and nothing pending: nothing ran yet
    Heartbeat.objects.create(name="sweeper", at=timezone.now() - timedelta(seconds=30))
    assert _health(api_client) == (200, "OK")


def test_the_worker_limit_spans_several_sweep_intervals(db, api_client, settings):
    """A lag limit shorter than the sweep interval must not make an idle, working install flap."""
    settings.HEALTH_MAX_PIPELINE_LAG_SECONDS = 30
    settings.SWEEP_INTERVAL_SECONDS = 60
    heartbeat = Heartbeat.objects.create(name="sweeper", at=timezone.now() - timedelta(seconds=90))
    assert _health(api_client)[0] == 200
    heartbeat.at = timezone.now() - timedelta(seconds=200)
    heartbeat.save()
    assert _health(api_client)[0] == 503


def test_the_enrichment_task_notes_progress_at_most_every_few_seconds(tenant, api_client, monkeypatch):
    from apps.ingestion import health
    from apps.ingestion.tasks import enrich_observations

    monkeypatch.setattr(health, "_last_beat", {})  # as in a process that has not beaten yet
    post_batch(
        api_client,
        tenant.project_key.header,
        [event("generation-create", {"id": "g", "traceId": "t", "model": "gpt-4o", "input": "count me"})],
    )
    assert enrich_observations(project_id=tenant.project.id, observation_ids=["g"]) == 1
    assert timezone.now() - Heartbeat.objects.get(name="enrichment").at < timedelta(seconds=10)
    # The enrichment heartbeat alone shows a working worker while the sweeper's runs are late.
    Heartbeat.objects.create(name="sweeper", at=timezone.now() - timedelta(hours=1))
    assert _health(api_client) == (200, "OK")
    # Another task within the throttle window writes no heartbeat.
    earlier = timezone.now() - timedelta(minutes=1)
    Heartbeat.objects.filter(name="enrichment").update(at=earlier)
    assert enrich_observations(project_id=tenant.project.id, observation_ids=["g"]) == 0
    assert Heartbeat.objects.get(name="enrichment").at == earlier


def test_health_page_shows_each_keys_outcomes(tenant, api_client, member_client, settings):
    key = tenant.project_key
    api_client.get("/api/public/projects", HTTP_AUTHORIZATION=basic_auth(key.public_key, "sk-lf-no"))
    post_batch(api_client, key.header, [event("trace-create", {"id": "big", "input": "x" * 4_600_000})])
    settings.INGESTION_RATE_LIMIT_PER_MINUTE = 1
    post_batch(api_client, key.header, [event("trace-create", {"id": "ok"})])
    assert post_batch(api_client, key.header, [event("trace-create", {"id": "late"})]).status_code == 429
    page = member_client.get(reverse("projects:ingestion_health", args=[tenant.project.id]))
    assert page.context["refused"] == 1
    html = page.content.decode()
    columns = "<th>Accepted</th><th>Rejected</th><th>Rate limited</th><th>Too large</th><th>Refused</th>"
    assert columns in html
    row = re.search(rf"<code>{key.public_key}</code>.*?</tr>", html, re.S).group()
    assert re.findall(r"<td>(\d+)</td>", row) == ["1", "0", "1", "1", "1"]


def test_a_flood_of_wrong_secrets_is_counted_without_a_write_per_request(tenant, api_client, settings):
    """Unauthenticated requests cost no database write each: counts are buffered, samples rare."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.ingestion.health import flush_outcomes

    settings.INGESTION_HEALTH_FLUSH_SECONDS = 3600  # as in production: flushed on a timer, not per request
    header = basic_auth(tenant.project_key.public_key, "sk-lf-wrong")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(100):
            response = post_batch(api_client, header, [event("trace-create", {"id": "t"})])
            assert response.status_code == 401
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "DELETE"))]
    assert len(writes) <= 3  # one sample (and its pruning), not a hundred
    flush_outcomes()
    assert _counts(tenant) == {"auth_failed": 100}
    assert IngestionRejection.objects.filter(project_id=tenant.project.id).count() == 1


def test_an_unknown_id_on_a_real_endpoint_is_not_a_wrong_path(tenant, api_client):
    response = api_client.get("/api/public/traces/no-such-trace", HTTP_AUTHORIZATION=tenant.project_key.header)
    assert response.status_code == 404
    assert "wrong_path" not in _counts(tenant)


def test_the_legacy_trace_route_is_rate_limited_too(tenant, api_client, settings):
    settings.INGESTION_RATE_LIMIT_PER_MINUTE = 1
    header = tenant.project_key.header

    def create(trace_id):
        return api_client.post(
            "/api/public/traces", {"id": trace_id}, content_type="application/json", HTTP_AUTHORIZATION=header
        )

    assert create("a").status_code == 200
    limited = create("b")
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json()["code"] == "rate_limited"
    assert _counts(tenant)["rate_limited"] == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres("the flushing thread needs its own connection to a database the test shares")
def test_counts_buffered_by_a_process_that_falls_idle_still_reach_the_database(tenant, settings):
    from apps.ingestion.health import flush_outcomes, record_outcomes

    settings.INGESTION_HEALTH_FLUSH_SECONDS = 0.3
    flush_outcomes()  # a flush just happened: the next counts wait in memory
    record_outcomes(project_id=tenant.project.id, api_key_id=tenant.project_key.id, counts={("accepted", ""): 3})
    stored = IngestionCounter.objects.filter(project_id=tenant.project.id, outcome="accepted")
    assert not stored.exists()  # buffered, and no request comes after it
    deadline = time.monotonic() + 5
    while not stored.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stored.get().count == 3
