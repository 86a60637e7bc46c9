"""Ingestion services: validate events one by one, write the valid ones, report per event."""

from dataclasses import dataclass, field
from typing import Any

from apps.core.access import Access
from apps.ingestion.events import EntityEvent, EventError, decode_event
from apps.ingestion.writer import write_events


@dataclass
class BatchOutcome:
    successes: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

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
            continue
        if event is not None:  # sdk-log events are neither stored nor reported
            valid.append((envelope_id, event))
    if valid:
        write_events(project_id=access.project.id, events=[event for _, event in valid])
    outcome.successes = [{"id": envelope_id, "status": 201} for envelope_id, _ in valid]
    return outcome
