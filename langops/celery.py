import os

from celery import Celery
from celery.signals import worker_process_init

from langops.heap import settle_boot_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "langops.settings.base")

app = Celery("langops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_boot_objects(**_kwargs) -> None:
    """As in langops.wsgi: what a worker process loaded at boot stays out of full collections."""
    settle_boot_objects()
