"""Building ingestion events and posting them the way the SDKs do."""

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta

BASE = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


def iso(seconds: float = 0) -> str:
    return (BASE + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def event(kind: str, body: dict, *, at: float = 0, event_id: str | None = None) -> dict:
    return {"id": event_id or str(uuid.uuid4()), "type": kind, "timestamp": iso(at), "body": body}


def post_batch(client, header: str, events: list[dict], *, compress: bool = False, **extra):
    payload = json.dumps({"batch": events, "metadata": {"sdk_name": "python"}}).encode()
    if compress:
        payload = gzip.compress(payload)
        extra["HTTP_CONTENT_ENCODING"] = "gzip"
    return client.generic(
        "POST", "/api/public/ingestion", payload, content_type="application/json", HTTP_AUTHORIZATION=header, **extra
    )


def store(project_id: str, raw_events: list[dict]) -> None:
    """Write raw batch events straight through the writer (no HTTP), as the endpoint would."""
    from apps.ingestion.events import decode_event
    from apps.ingestion.writer import write_events

    write_events(project_id=project_id, events=[decode_event(raw, scores_only=False)[1] for raw in raw_events])
