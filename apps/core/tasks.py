"""The one base class for LangOps Celery tasks.

Tasks take ids and plain values, never model instances (a pickled row is stale by the time the
worker runs), bind the project into their log lines, and retry transient database errors.
"""

import logging

from celery import Task, shared_task
from django.db import DatabaseError

logger = logging.getLogger("langops.tasks")


class LangOpsTask(Task):
    autoretry_for = (DatabaseError,)
    retry_backoff = True
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 5
    acks_late = True

    def __call__(self, *args, **kwargs):
        for value in list(args) + list(kwargs.values()):
            if hasattr(value, "_meta") and hasattr(value, "pk"):
                raise TypeError(f"{self.name} takes ids, not model instances ({type(value).__name__})")
        project_id = kwargs.get("project_id")
        logger.info("task %s start project=%s", self.name, project_id or "-")
        return super().__call__(*args, **kwargs)


def hand_off(task: Task, **kwargs) -> None:
    """Queue `task` with `kwargs`, after the commit that recorded the work. A broker that cannot
    take it is logged, not raised: the committed rows are the record, and the app's sweeper hands
    the work over again."""
    try:
        task.apply_async(kwargs=kwargs, retry=False)
    except Exception:
        logger.exception("%s could not be queued; the sweeper will retry", task.name)


def task(**options):
    """Declare a task on LangOpsTask; keyword arguments are passed to Celery."""
    options.setdefault("base", LangOpsTask)
    return shared_task(**options)
