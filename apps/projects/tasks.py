"""Background work for projects."""

from apps.core.tasks import task
from apps.projects.models import Project


@task(queue="default")
def project_purge(*, project_id: str) -> None:
    """Delete a project that was marked deleted, with everything that cascades from it."""
    Project.objects.filter(id=project_id, deleted_at__isnull=False).delete()
