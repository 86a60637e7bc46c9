"""Background jobs kept as rows (cost recomputes, exports): one run at a time, none stranded.

A job model has `status` ("queued", "running", "done", "failed"), `created_at` and `heartbeat_at`,
which its run sets when it claims the job and whenever it reports progress. Its task claims the
job before working on it, so a second message for the same job (a redelivery, or the sweeper's)
does nothing while the first run is alive. Each app's beat sweeper queues again what no worker is
on: jobs queued for longer than the grace period (their message was lost with a flushed or
unreachable broker) and jobs running without progress for JOB_STALL_SECONDS (their worker died).
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.tasks import hand_off

logger = logging.getLogger("langops.tasks")

QUEUED, RUNNING, FAILED = "queued", "running", "failed"


def _stalled_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.JOB_STALL_SECONDS)


def claim(model: type[models.Model], job_id: str, project_id: str, *, retrying: bool = False) -> bool:
    """Mark the job running for this run, unless it is finished or another run is alive on it
    (one statement, so two messages for one job never both run it). A task's own retry after an
    error may take up the job its attempt marked failed; nothing else restarts a failed job."""
    claimable = Q(status=QUEUED) | Q(status=RUNNING, heartbeat_at__lt=_stalled_before())
    if retrying:
        claimable |= Q(status=FAILED)
    claimed = model.objects.filter(claimable, id=job_id, project_id=project_id).update(
        status=RUNNING, heartbeat_at=timezone.now()
    )
    return claimed == 1


def dispatch(task: Task, job: Any) -> None:
    """Hand the job to a worker (a broker that cannot take it is logged; the sweeper retries)."""
    hand_off(task, job_id=job.id, project_id=job.project_id)


def sweep(model: type[models.Model], task: Task, limit: int = 100) -> int:
    """Queue again the jobs of `model` that no worker is on; how many."""
    grace = timezone.now() - timedelta(seconds=settings.ENRICHMENT_GRACE_SECONDS)
    stuck = model.objects.filter(
        Q(status=QUEUED, created_at__lt=grace) | Q(status=RUNNING, heartbeat_at__lt=_stalled_before())
    )
    jobs = list(stuck.order_by("created_at")[:limit])
    for job in jobs:
        dispatch(task, job)
    if jobs:
        logger.info("sweeper queued %s %s jobs again", len(jobs), model.__name__)
    return len(jobs)
