"""Everything a deleted project owns, deleted.

The large tables name their project by `project_id` alone (no foreign key, so the write path
never checks one), so deleting the project row takes only its foreign-key children with it. The
purge deletes the rest: trace data, scores and comments, media (stored files too), ingestion
health, the project's own models and recompute jobs. In batches, each in its own transaction, so
a large project holds no lock for long and a purge cut short is simply run again. The audit log is
kept: it is the record that the project existed and was deleted.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models, transaction

from apps.core.blobs import blob_store
from apps.costs.models import CostRecomputeJob, ModelDefinition
from apps.ingestion.models import IngestionCounter, IngestionRejection
from apps.media.models import Media, MediaReference
from apps.scores.models import Comment, Score
from apps.traces.models import Observation, SavedView, Session, Trace

BATCH_ROWS = 5000

# Keyed by project_id, no foreign-key children: deleted in batches by statement.
_BY_PROJECT_ID: tuple[type[models.Model], ...] = (
    MediaReference,
    Score,
    Comment,
    Observation,
    Trace,
    Session,
    SavedView,
    IngestionRejection,
    IngestionCounter,
    CostRecomputeJob,
)


def purge_project_data(project_id: str) -> int:
    """Delete every row and stored file of the project but the project row; how many rows."""
    deleted = sum(_delete_in_batches(model, project_id) for model in _BY_PROJECT_ID)
    deleted += _delete_media(project_id)
    deleted += ModelDefinition.objects.filter(project_id=project_id).delete()[0]  # with their tiers
    return deleted


def _delete_in_batches(model: type[models.Model], project_id: str) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    row = "ctid" if connection.vendor == "postgresql" else "rowid"  # the row's physical address
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE {row} IN (SELECT {row} FROM {table} WHERE project_id = %s LIMIT %s)",
                [project_id, BATCH_ROWS],
            )
            count = cursor.rowcount
        deleted += count
        if count < BATCH_ROWS:
            return deleted


def _delete_media(project_id: str) -> int:
    """Media rows with their stored files (keys are per project: no other project shares them)."""
    store = blob_store()
    deleted = 0
    while keys := list(Media.objects.filter(project_id=project_id).values_list("id", "storage_key")[:BATCH_ROWS]):
        for _media_id, storage_key in keys:
            store.delete(storage_key)  # a file already gone is fine
        deleted += Media.objects.filter(project_id=project_id, id__in=[media_id for media_id, _ in keys]).delete()[0]
    return deleted


@contextmanager
def only_purge(project_id: str) -> Iterator[bool]:
    """Whether this run may purge the project: False while another run purges it (PostgreSQL: a
    session advisory lock for the whole purge; SQLite serialises its writers anyway)."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = f"langops.project_purge:{project_id}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key])
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
