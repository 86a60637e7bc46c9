"""Ingestion services: validate events one by one, write the valid ones, report per event."""

from dataclasses import dataclass, field
from typing import Any

from django.db import DataError

from apps.core.access import Access
from apps.ingestion.events import EntityEvent, EventError, decode_event
from apps.ingestion.group_commit import write_grouped
from apps.ingestion.health import record_outcomes, rejection
from apps.ingestion.writer import write_events


@dataclass
class BatchOutcome:
    successes: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    rejected_raw: list[Any] = field(default_factory=list)  # the events behind `errors`, for samples

    def as_response(self) -> dict[str, Any]:
        return {"successes": self.successes, "errors": self.errors}


def ingest_batch(*, access: Access, batch: list[Any]) -> BatchOutcome:
    """Validate each event on its own and store every valid one in one transaction.

    Returns only after the commit, so a success means durable and queryable. Database errors
    propagate: the caller answers 503 and nothing is acknowledged.
    """
    scores_only = not access.has("traces:write")
    outcome = BatchOutcome()
    valid: list[tuple[str, EntityEvent]] = []
    for raw in batch:
        try:
            envelope_id, event = decode_event(raw, scores_only=scores_only)
        except EventError as exc:
            envelope_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else "unknown"
            outcome.errors.append({"id": envelope_id, "status": exc.status, "message": exc.message, "error": exc.error})
            outcome.rejected_raw.append(raw)
            continue
        if event is not None:  # sdk-log events are neither stored nor reported
            valid.append((envelope_id, event))
    if valid:
        valid = write_isolating_bad_events(access, valid, outcome)
    outcome.successes = [{"id": envelope_id, "status": 201} for envelope_id, _ in valid]
    record_batch_outcome(access=access, outcome=outcome)
    return outcome


def write_isolating_bad_events(
    access: Access, valid: list[tuple[str, EntityEvent]], outcome: BatchOutcome
) -> list[tuple[str, EntityEvent]]:
    """Write the batch (with the writes other requests make meanwhile); if the database refuses a
    value (not a transient failure), write event by event so that only the offending events are
    rejected. Transient errors propagate (503)."""
    try:
        write_grouped(project_id=access.project.id, events=[event for _, event in valid])
        return valid
    except DataError:
        pass
    stored = []
    for envelope_id, event in valid:
        try:
            write_events(project_id=access.project.id, events=[event])
        except DataError as exc:
            outcome.errors.append(
                {
                    "id": envelope_id,
                    "status": 400,
                    "message": "Invalid request data",
                    "error": f"value not storable: {str(exc).splitlines()[0][:200]}",
                }
            )
            outcome.rejected_raw.append({"id": envelope_id, "body": {"id": event.id}})
            continue
        stored.append((envelope_id, event))
    return stored


def record_batch_outcome(*, access: Access, outcome: BatchOutcome) -> None:
    """Ingestion health: accepted and rejected counts (by reason) with the rejected samples."""
    counts: dict[tuple[str, str], int] = {("accepted", ""): len(outcome.successes)}
    for error in outcome.errors:
        reason = f"{error['message']}: {error['error']}"
        counts[("rejected", reason[:200])] = counts.get(("rejected", reason[:200]), 0) + 1
    samples = [
        rejection(outcome="rejected", status=e["status"], reason=f"{e['message']}: {e['error']}", raw=raw)
        for e, raw in zip(outcome.errors, outcome.rejected_raw, strict=True)
    ]
    record_outcomes(
        project_id=access.project.id,
        api_key_id=access.api_key.id if access.api_key else None,
        counts=counts,
        rejections=samples,
    )
