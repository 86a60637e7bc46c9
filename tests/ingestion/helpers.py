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
