"""Nothing acknowledged is lost: a killed worker or a flushed broker only delays enrichment."""

import contextlib
import os
import signal
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from apps.core.cache import outage
from apps.costs.models import CostRecomputeJob, ModelDefinition, PricingTier
from apps.traces.models import Observation
from tests.ingestion.helpers import event, post_batch
from tests.worker import DEAD_REDIS, broker_unreachable, celery_worker, wait_until

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres("worker processes need a database they can share (PostgreSQL)"),
]
FAST_SWEEP = {"LANGOPS_SWEEP_INTERVAL_SECONDS": "1", "LANGOPS_ENRICHMENT_GRACE_SECONDS": "0"}


def _pending_generations(tenant, api_client, count: int) -> None:
    events = [
        event(
            "generation-create",
            {
                "id": f"g{n}",
                "traceId": f"t{n % 7}",
                "model": "gpt-4o",
                "input": [{"role": "user", "content": f"question number {n} " * 20}],
                "output": "an answer " * 30,
            },
        )
        for n in range(count)
    ]
    for start in range(0, count, 100):
        assert post_batch(api_client, tenant.project_key.header, events[start : start + 100]).status_code == 207


def _pending(tenant) -> int:
    return Observation.objects.filter(project_id=tenant.project.id, cost_status="pending").count()


def test_worker_enriches_after_commit(tenant, api_client):
    _pending_generations(tenant, api_client, 5)
    assert _pending(tenant) == 5  # acknowledged and stored; tokenizing is the worker's job
    with celery_worker():
        assert wait_until(lambda: _pending(tenant) == 0)
    assert Observation.objects.filter(project_id=tenant.project.id, cost_status="computed").count() == 5


def test_flushed_broker_loses_nothing(tenant, api_client):
    _pending_generations(tenant, api_client, 20)
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # every queued task is gone
    assert _pending(tenant) == 20  # only the sweeper can find them now
    with celery_worker(beat=True, env=FAST_SWEEP):
        assert wait_until(lambda: _pending(tenant) == 0, timeout=60)
    assert Observation.objects.filter(project_id=tenant.project.id, cost_status="computed").count() == 20


@contextlib.contextmanager
def _redis_down(django_settings):
    """Cache and broker pointed at a port nothing listens on, as when Redis is down."""
    django_settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": DEAD_REDIS}}
    try:
        with broker_unreachable():
            yield
    finally:
        outage.until = 0.0


def test_redis_down_fails_no_write_and_loses_nothing(tenant, api_client, settings):
    """Redis is a cache and a broker here: while it is down, writes are still taken (the API key
    from the database, the rate limit open, the enrichment hand-off left to the sweeper)."""
    settings.INGESTION_RATE_LIMIT_PER_MINUTE = 1
    with _redis_down(settings):
        _pending_generations(tenant, api_client, 200)  # two requests, one over the limit
    assert _pending(tenant) == 200
    with celery_worker(beat=True, env=FAST_SWEEP):
        assert wait_until(lambda: _pending(tenant) == 0, timeout=60)


def test_killed_worker_loses_nothing(tenant, api_client):
    _pending_generations(tenant, api_client, 400)
    with celery_worker() as worker:
        assert wait_until(lambda: _pending(tenant) < 400, timeout=30)  # it has started
        os.kill(worker.pid, signal.SIGKILL)  # mid-flight: some batches done, the rest abandoned
        worker.wait()
    left = _pending(tenant)
    with celery_worker(beat=True, env=FAST_SWEEP):
        assert wait_until(lambda: _pending(tenant) == 0, timeout=90), f"{_pending(tenant)} of {left} still pending"


def _unpriced_generations(tenant, api_client) -> None:
    """Three generations of a model with no price yet, then a price for it."""
    post_batch(
        api_client,
        tenant.project_key.header,
        [
            event(
                "generation-create",
                {
                    "id": f"r{n}",
                    "traceId": "rt",
                    "model": "acme-llm",
                    "startTime": "2026-03-01T00:00:00Z",
                    "usageDetails": {"input": 1000},
                },
            )
            for n in range(3)
        ],
    )
    assert Observation.objects.get(project_id=tenant.project.id, id="r0").cost_status == "unknown"
    model = ModelDefinition.objects.create(project_id=tenant.project.id, model_name="acme", match_pattern="^acme-llm$")
    PricingTier.objects.create(model=model, name="Standard", is_default=True, prices={"input": "0.000002"})


def _start_recompute(tenant, member_client) -> CostRecomputeJob:
    response = member_client.post(
        f"/project/{tenant.project.id}/settings/models/recompute/", {"from": "2026-02-01", "to": "2026-03-31"}
    )
    assert response.status_code == 302
    return CostRecomputeJob.objects.get(project_id=tenant.project.id)


def test_cost_recompute_job_reports_progress(tenant, api_client, member_client):
    _unpriced_generations(tenant, api_client)
    job = _start_recompute(tenant, member_client)
    with celery_worker():
        assert wait_until(lambda: CostRecomputeJob.objects.get(id=job.id).status == "done")
    job.refresh_from_db()
    assert (job.total, job.processed, job.updated, job.percent) == (3, 3, 3, 100)
    assert str(Observation.objects.get(project_id=tenant.project.id, id="r0").total_cost).startswith("0.002")
    page = member_client.get(f"/project/{tenant.project.id}/settings/models/recompute/")
    assert b"3 / 3" in page.content


def test_a_recompute_job_outlives_a_flushed_broker_and_a_dead_worker(tenant, api_client, member_client, settings):
    """Its message lost, the sweeper queues it again; running without progress (its worker gone),
    the sweeper starts it again; and a second message for a live job does not run it twice."""
    _unpriced_generations(tenant, api_client)
    job = _start_recompute(tenant, member_client)
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # the job's message is gone
    with celery_worker(beat=True, env=FAST_SWEEP):
        assert wait_until(lambda: CostRecomputeJob.objects.get(id=job.id).status == "done", timeout=60)
    assert str(Observation.objects.get(project_id=tenant.project.id, id="r0").total_cost).startswith("0.002")

    # A run that died half way: running, its last progress long ago.
    stale = timezone.now() - timedelta(seconds=settings.JOB_STALL_SECONDS + 60)
    CostRecomputeJob.objects.filter(id=job.id).update(status="running", processed=1, heartbeat_at=stale)
    with celery_worker(beat=True, env={**FAST_SWEEP, "LANGOPS_JOB_STALL_SECONDS": "60"}):
        assert wait_until(lambda: CostRecomputeJob.objects.get(id=job.id).status == "done", timeout=60)
    assert CostRecomputeJob.objects.get(id=job.id).processed == 3


def test_a_job_is_claimed_by_one_run_only(tenant, settings):
    from apps.core.jobs import claim

    def _claim(job_id, project_id, **kwargs):
        return claim(CostRecomputeJob, job_id, project_id, **kwargs)

    window = {"window_start": timezone.now() - timedelta(days=1), "window_end": timezone.now()}
    job = CostRecomputeJob.objects.create(project_id=tenant.project.id, **window)
    assert _claim(job.id, tenant.project.id) is True
    assert _claim(job.id, tenant.project.id) is False  # alive elsewhere
    stale = timezone.now() - timedelta(seconds=settings.JOB_STALL_SECONDS + 1)
    CostRecomputeJob.objects.filter(id=job.id).update(heartbeat_at=stale)
    assert _claim(job.id, tenant.project.id) is True  # its run stopped making progress
    CostRecomputeJob.objects.filter(id=job.id).update(status="failed")
    assert _claim(job.id, tenant.project.id) is False  # failed is final, for the sweeper too
    assert _claim(job.id, tenant.project.id, retrying=True) is True  # but the task's own retry takes it up
    CostRecomputeJob.objects.filter(id=job.id).update(status="done")
    assert _claim(job.id, tenant.project.id, retrying=True) is False
