"""Recomputing historical costs after model prices change, with progress on the job row."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.core.tasks import task
from apps.costs.models import CostRecomputeJob

logger = logging.getLogger("langops.costs")
_CHUNK = 500


def _chunk(scope: QuerySet, after: tuple[datetime, str] | None, names: list[str]) -> list[dict]:
    """The next rows after (start_time, id): keyset pages never shift while rows are updated."""
    if after is not None:
        scope = scope.filter(Q(start_time__gt=after[0]) | Q(start_time=after[0], id__gt=after[1]))
    return list(scope.order_by("start_time", "id").values(*names)[:_CHUNK])


@task(queue="default")
def run_cost_recompute(*, job_id: str, project_id: str) -> None:
    """Reprice every observation with a model in the job's window (ingested costs stay as sent)."""
    from apps.costs.catalogue import model_matcher
    from apps.costs.engine import price_row
    from apps.ingestion.writer import refresh_aggregates, update_rows
    from apps.traces.models import Observation

    # A retry (after a database error) takes up the job its failed attempt marked failed.
    if not _claim(job_id, project_id, retrying=run_cost_recompute.request.retries > 0):
        return  # done, failed, or running elsewhere (a second message for it: the sweeper's or a redelivery)
    job = CostRecomputeJob.objects.get(id=job_id, project_id=project_id)
    scope = Observation.objects.filter(
        project_id=project_id, start_time__gte=job.window_start, start_time__lt=job.window_end, model__isnull=False
    ).exclude(cost_status="provided")
    jobs = CostRecomputeJob.objects.filter(id=job.id)
    jobs.update(total=scope.count(), processed=0, updated=0, error="", heartbeat_at=timezone.now())
    names = [f.attname for f in Observation._meta.concrete_fields]
    matcher = model_matcher(project_id)
    processed = updated = 0
    after = None
    try:
        while True:
            with transaction.atomic():
                # Read and lock the chunk in the transaction that writes it back, so an update the
                # writer commits meanwhile is never overwritten; rows it holds are skipped (it prices
                # them itself with the current prices).
                rows = _chunk(scope.select_for_update(skip_locked=True), after, names)
                if not rows:
                    break
                for row in rows:
                    before = (row["total_cost"], row["cost_status"])
                    price_row(row, matcher, tokenize=True)
                    row["updated_at"] = timezone.now()
                    updated += before != (row["total_cost"], row["cost_status"])
                update_rows(Observation, rows)
                refresh_aggregates(project_id, {row["trace_id"] for row in rows})
                processed += len(rows)
                jobs.update(processed=processed, updated=updated, heartbeat_at=timezone.now())
            after = (rows[-1]["start_time"], rows[-1]["id"])
    except Exception as exc:
        jobs.update(status=CostRecomputeJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        raise
    jobs.update(status=CostRecomputeJob.Status.DONE, finished_at=timezone.now())
    logger.info("cost recompute %s: %s observations, %s changed", job.id, processed, updated)


def _stalled_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.JOB_STALL_SECONDS)


def _claim(job_id: str, project_id: str, *, retrying: bool = False) -> bool:
    """Mark the job running for this run, unless it is finished or another run is alive on it
    (one statement, so two messages for one job never both run it)."""
    claimable = Q(status=CostRecomputeJob.Status.QUEUED) | Q(
        status=CostRecomputeJob.Status.RUNNING, heartbeat_at__lt=_stalled_before()
    )
    if retrying:
        claimable |= Q(status=CostRecomputeJob.Status.FAILED)
    claimed = CostRecomputeJob.objects.filter(claimable, id=job_id, project_id=project_id).update(
        status=CostRecomputeJob.Status.RUNNING, heartbeat_at=timezone.now()
    )
    return claimed == 1


def dispatch_cost_recompute(job: CostRecomputeJob) -> None:
    """Hand the job to a worker. A broker that cannot take it is logged, not raised: the job row
    is committed, and the sweeper hands it over again."""
    try:
        run_cost_recompute.apply_async(kwargs={"job_id": job.id, "project_id": job.project_id}, retry=False)
    except Exception:
        logger.exception("cost recompute %s could not be queued; the sweeper will retry", job.id)


@task(queue="default")
def sweep_cost_recompute_jobs() -> int:
    """Queue again the jobs no worker is on: queued for longer than the grace period (their message
    was lost with a flushed or unreachable broker) or running without progress for JOB_STALL_SECONDS
    (their worker died). A job whose first message is merely late runs once: see `_claim`."""
    grace = timezone.now() - timedelta(seconds=settings.ENRICHMENT_GRACE_SECONDS)
    stuck = CostRecomputeJob.objects.filter(
        Q(status=CostRecomputeJob.Status.QUEUED, created_at__lt=grace)
        | Q(status=CostRecomputeJob.Status.RUNNING, heartbeat_at__lt=_stalled_before())
    )
    jobs = list(stuck[:100])
    for job in jobs:
        dispatch_cost_recompute(job)
    if jobs:
        logger.info("sweeper queued %s cost recompute jobs again", len(jobs))
    return len(jobs)
