"""Background work for projects: purging deleted ones, and a sweeper so that none is left behind."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.tasks import hand_off, task
from apps.projects.models import PendingPurge, Project
from apps.projects.purge import only_purge, purge_project_data


@task(queue="default")
def project_purge(*, project_id: str) -> None:
    """Delete a project marked deleted (or whose organization was deleted, taking the row) and
    everything it owns (apps.projects.purge), the row last, then its pending purge. A live project
    is never touched; a second message for a purge under way does nothing."""
    if Project.objects.filter(id=project_id, deleted_at__isnull=True).exists():
        return
    with only_purge(project_id) as mine:
        if not mine:
            return
        purge_project_data(project_id)
        with transaction.atomic():
            for project in Project.objects.filter(id=project_id, deleted_at__isnull=False):
                project.delete()  # with its foreign-key children (keys, memberships, exports)
            PendingPurge.objects.filter(project_id=project_id).delete()


def request_purge(project_ids: list[str]) -> None:
    """Within the transaction that deletes these projects: their purge is pending (the sweeper's
    record), and is queued once that transaction commits."""
    now = timezone.now()
    PendingPurge.objects.bulk_create(
        [PendingPurge(project_id=project_id, requested_at=now) for project_id in project_ids], ignore_conflicts=True
    )

    def queue() -> None:
        for project_id in project_ids:
            hand_off(project_purge, project_id=project_id)

    transaction.on_commit(queue)


@task(queue="default")
def sweep_deleted_projects(limit: int = 100) -> int:
    """Queue again the purges requested longer ago than the grace period and still pending (their
    message was lost with a flushed or unreachable broker, or their worker died)."""
    grace = timezone.now() - timedelta(seconds=settings.ENRICHMENT_GRACE_SECONDS)
    pending = PendingPurge.objects.filter(requested_at__lt=grace).order_by("requested_at")
    ids = list(pending.values_list("project_id", flat=True)[:limit])
    for project_id in ids:
        hand_off(project_purge, project_id=project_id)
    return len(ids)
