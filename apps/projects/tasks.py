"""Background work for projects: purging deleted ones, and a sweeper so that none is left behind."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.tasks import task
from apps.projects.models import Project

logger = logging.getLogger("langops.tasks")


@task(queue="default")
def project_purge(*, project_id: str) -> None:
    """Delete a project that was marked deleted, with everything that cascades from it. The row is
    locked first, skipping it if locked: a second message for a purge under way does nothing."""
    with transaction.atomic():
        project = (
            Project.objects.select_for_update(skip_locked=True).filter(id=project_id, deleted_at__isnull=False).first()
        )
        if project is not None:
            project.delete()


def queue_purge(project_id: str) -> None:
    """Hand a deleted project to a worker. A broker that cannot take it is logged, not raised (the
    deletion is committed already): the sweeper hands it over again."""
    try:
        project_purge.apply_async(kwargs={"project_id": project_id}, retry=False)
    except Exception:
        logger.exception("purge of project %s could not be queued; the sweeper will retry", project_id)


@task(queue="default")
def sweep_deleted_projects(limit: int = 100) -> int:
    """Queue again the purge of projects deleted longer ago than the grace period and still there
    (their message was lost with a flushed or unreachable broker, or their worker died)."""
    grace = timezone.now() - timedelta(seconds=settings.ENRICHMENT_GRACE_SECONDS)
    ids = list(Project.objects.filter(deleted_at__lt=grace).order_by("deleted_at").values_list("id", flat=True)[:limit])
    for project_id in ids:
        queue_purge(project_id)
    return len(ids)
