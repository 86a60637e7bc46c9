"""Deleting traces: the trace, its observations and its scores, audited."""

from django.db import transaction

from apps.audit.services import audit_record
from apps.core.access import Access
from apps.core.errors import InvalidRequest, NotFound
from apps.scores.models import Score
from apps.traces.models import Observation, Trace

MAX_BULK_DELETE = 1000


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
        Observation.objects.filter(project_id=project_id, trace_id__in=existing).delete()
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
