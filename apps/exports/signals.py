"""An export's file goes with its job, however the job is deleted (expiry, project purge)."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from apps.core.blobs import blob_store
from apps.exports.models import ExportJob

logger = logging.getLogger("langops.exports")


def _delete_file(key: str) -> None:
    try:
        blob_store().delete(key)
    except Exception:  # the job is gone either way; a left-over file is only logged
        logger.exception("could not delete export file %s", key)


@receiver(post_delete, sender=ExportJob)
def delete_export_file(sender, instance: ExportJob, **kwargs) -> None:
    if instance.file_key:
        key = instance.file_key
        transaction.on_commit(lambda: _delete_file(key))
