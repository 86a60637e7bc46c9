"""Writes to traces from the console and the API: deletion, bookmarks and tags, audited where it matters."""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.core.access import Access
from apps.core.errors import InvalidRequest, NotFound
from apps.media.models import MediaReference
from apps.scores.models import Comment, Score
from apps.traces.models import Observation, Trace

MAX_BULK_DELETE = 1000
MAX_TAGS = 50
MAX_TAG_CHARS = 200


def traces_delete(*, access: Access, trace_ids: list[str]) -> int:
    """Delete traces of the access's project with everything attached; returns how many existed."""
    access.require("traces:delete")
    if not trace_ids or len(trace_ids) > MAX_BULK_DELETE:
        raise InvalidRequest(f"traceIds must hold 1 to {MAX_BULK_DELETE} ids")
    project_id = access.project.id
    with transaction.atomic():
        existing = list(Trace.objects.filter(project_id=project_id, id__in=trace_ids).values_list("id", flat=True))
        if not existing:
            raise NotFound("No such trace within authorized project")
        observations = Observation.objects.filter(project_id=project_id, trace_id__in=existing)
        # Comments and media references too: ids come from clients, and a trace sent again under
        # the same id must not find the deleted one's comments.
        Comment.objects.filter(project_id=project_id).filter(
            Q(object_type="TRACE", object_id__in=existing)
            | Q(object_type="OBSERVATION", object_id__in=observations.values("id"))
        ).delete()
        MediaReference.objects.filter(project_id=project_id, trace_id__in=existing).delete()
        observations.delete()
        Score.objects.filter(project_id=project_id, trace_id__in=existing).delete()
        Trace.objects.filter(project_id=project_id, id__in=existing).delete()
        audit_record(
            access=access,
            action="trace.delete",
            target_type="trace",
            target_id=existing[0] if len(existing) == 1 else f"{len(existing)} traces",
            before={"traceIds": existing[:100], "count": len(existing)},
        )
    return len(existing)


def trace_set_bookmark(*, access: Access, trace_id: str, bookmarked: bool) -> None:
    """Bookmark or un-bookmark a trace of the access's project."""
    access.require("traces:write")
    updated = Trace.objects.filter(project_id=access.project.id, id=trace_id).update(bookmarked=bookmarked)
    if not updated:
        raise NotFound(f"Trace {trace_id} not found within authorized project")


def trace_tags_update(
    *, access: Access, trace_id: str, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> list[str]:
    """Add and remove tags of a trace (each 1-200 characters, at most 50 per trace); audited; returns the new tags."""
    access.require("traces:write")
    add = [tag.strip() for tag in add]
    if any(not tag or len(tag) > MAX_TAG_CHARS for tag in add):
        raise InvalidRequest(_("A tag must be 1 to %(max)d characters long.") % {"max": MAX_TAG_CHARS})
    with transaction.atomic():
        stored = (
            Trace.objects.select_for_update()
            .filter(project_id=access.project.id, id=trace_id)
            .values_list("tags", flat=True)
            .first()
        )
        if stored is None:
            raise NotFound(f"Trace {trace_id} not found within authorized project")
        before = list(stored)
        removed = set(remove)  # exact stored values, as the page posts them
        tags = [tag for tag in before if tag not in removed]
        added = [tag for tag in dict.fromkeys(add) if tag not in tags]
        # Only adding is refused: tags an SDK sent beyond the limit can still be removed one by one.
        if added and len(tags) + len(added) > MAX_TAGS:
            raise InvalidRequest(_("A trace can have at most %(max)d tags.") % {"max": MAX_TAGS})
        tags += added
        if tags == before:
            return tags
        Trace.objects.filter(project_id=access.project.id, id=trace_id).update(tags=tags, updated_at=timezone.now())
        audit_record(
            access=access,
            action="trace.tags_update",
            target_type="trace",
            target_id=trace_id,
            before={"tags": before},
            after={"tags": tags},
        )
    return tags
