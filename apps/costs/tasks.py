"""Recomputing historical costs after model prices change, with progress on the job row."""

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.core import jobs
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
    if not jobs.claim(CostRecomputeJob, job_id, project_id, retrying=run_cost_recompute.request.retries > 0):
        return  # done, failed, or running elsewhere (a second message for it: the sweeper's or a redelivery)
    job = CostRecomputeJob.objects.get(id=job_id, project_id=project_id)
    scope = Observation.objects.filter(
        project_id=project_id, start_time__gte=job.window_start, start_time__lt=job.window_end, model__isnull=False
    ).exclude(cost_status="provided")
    this_job = CostRecomputeJob.objects.filter(id=job.id)
    this_job.update(total=scope.count(), processed=0, updated=0, error="", heartbeat_at=timezone.now())
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
                this_job.update(processed=processed, updated=updated, heartbeat_at=timezone.now())
            after = (rows[-1]["start_time"], rows[-1]["id"])
    except Exception as exc:
        this_job.update(status=CostRecomputeJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        raise
    this_job.update(status=CostRecomputeJob.Status.DONE, finished_at=timezone.now())
    logger.info("cost recompute %s: %s observations, %s changed", job.id, processed, updated)


@task(queue="default")
def sweep_cost_recompute_jobs() -> int:
    """Queue again the recompute jobs no worker is on (apps.core.jobs)."""
    return jobs.sweep(CostRecomputeJob, run_cost_recompute)
