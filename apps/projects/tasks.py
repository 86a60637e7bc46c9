"""Background work for projects: purging deleted ones, and a sweeper so that none is left behind."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.tasks import hand_off, task
from apps.projects.models import Project
from apps.projects.purge import only_purge, purge_project_data


@task(queue="default")
def project_purge(*, project_id: str) -> None:
    """Delete a project marked deleted (or whose organization was deleted, taking the row) and
    everything it owns (apps.projects.purge), the row last. A live project is never touched; a
    second message for a purge under way does nothing."""
    if Project.objects.filter(id=project_id, deleted_at__isnull=True).exists():
        return
    with only_purge(project_id) as mine:
        if not mine:
            return
        purge_project_data(project_id)
        with transaction.atomic():
            for project in Project.objects.filter(id=project_id, deleted_at__isnull=False):
                project.delete()  # with its foreign-key children (keys, memberships, exports)


@task(queue="default")
def sweep_deleted_projects(limit: int = 100) -> int:
    """Queue again the purge of projects deleted longer ago than the grace period and still there
    (their message was lost with a flushed or unreachable broker, or their worker died)."""
    grace = timezone.now() - timedelta(seconds=settings.ENRICHMENT_GRACE_SECONDS)
    ids = list(Project.objects.filter(deleted_at__lt=grace).order_by("deleted_at").values_list("id", flat=True)[:limit])
    for project_id in ids:
        hand_off(project_purge, project_id=project_id)
    return len(ids)
