"""Background enrichment of stored observations: tokenizing missing usage, then pricing it.

`enrich_observations` runs after the ingesting transaction commits; `sweep_pending_enrichment`
(Celery beat) redoes anything still pending, so a killed worker or a flushed broker loses nothing.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.tasks import task

logger = logging.getLogger("langops.ingestion")
_BATCH = 200
# The enrichment tasks write their heartbeat at most this often per process (seconds).
_BEAT_EVERY_SECONDS = 10


def enrich_pending(
    *,
    project_id: str,
    observation_ids: list[str] | None = None,
    limit: int = _BATCH,
    stale_before: datetime | None = None,
) -> int:
    """Tokenize and price pending observations of a project (those named, or those last written
    before `stale_before`, or all); returns how many were enriched."""
    from apps.costs.catalogue import model_matcher
    from apps.costs.engine import price_row
    from apps.ingestion.writer import refresh_aggregates, update_rows
    from apps.traces.models import Observation

    with transaction.atomic():
        rows = Observation.objects.select_for_update(skip_locked=True).filter(
            project_id=project_id, cost_status="pending"
        )
        if observation_ids is not None:
            rows = rows.filter(id__in=observation_ids)
        if stale_before is not None:
            rows = rows.filter(updated_at__lt=stale_before)
        names = [f.attname for f in Observation._meta.concrete_fields]
        batch = list(rows.order_by("updated_at")[:limit].values(*names))
        if not batch:
            return 0
        matcher = model_matcher(project_id)
        for row in batch:
            price_row(row, matcher, tokenize=True)
            row["updated_at"] = timezone.now()
        update_rows(Observation, batch)
        refresh_aggregates(project_id, {row["trace_id"] for row in batch})
    return len(batch)


@task(queue="ingestion")
def enrich_observations(*, project_id: str, observation_ids: list[str]) -> int:
    """Enrich what one ingesting transaction left pending, and note the worker's progress.

    The heartbeat shows the health endpoint a working worker even while the sweeper's runs wait
    behind a burst of these tasks; it is throttled, so a busy queue pays no write per task."""
    from apps.ingestion.health import beat

    done = enrich_pending(project_id=project_id, observation_ids=observation_ids, limit=len(observation_ids))
    beat("enrichment", at_most_every=_BEAT_EVERY_SECONDS)
    return done


@task(queue="ingestion")
def sweep_pending_enrichment() -> int:
    """Enrich observations left pending longer than the grace period (lost or failed tasks).

    Only those: newer ones still have their task coming, and a project that keeps ingesting would
    otherwise keep this loop going for as long as it sends."""
    from apps.ingestion.health import beat
    from apps.traces.models import Observation

    beat("sweeper")
    cutoff = timezone.now() - timedelta(seconds=settings.ENRICHMENT_GRACE_SECONDS)
    projects = (
        Observation.objects.filter(cost_status="pending", updated_at__lt=cutoff)
        .values_list("project_id", flat=True)
        .distinct()
    )
    done = 0
    for project_id in list(projects):
        while (count := enrich_pending(project_id=project_id, stale_before=cutoff)) > 0:
            done += count
    if done:
        logger.info("sweeper enriched %s pending observations", done)
        beat("sweeper")
    return done
