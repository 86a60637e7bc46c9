"""The generated API client reading and deleting scores (runs in .venvs/langfuse2, 4 or 5, per SDK).

SDK 5: `api.scores.get_many` (GET /v3/scores) through the cursor, `api.scores.delete`.
SDK 4: `api.scores.get_many` / `get_by_id` (GET /v2/scores[/{id}]), `api.legacy.score_v1.delete`.
SDK 2: `client.score.get_by_id` (GET /scores/{id}), `client.score.get` (GET /scores, the v1 list).
Every response goes through the SDK's own pydantic models, so a missing key or a wrong type fails here.
"""

import json
import os

from langfuse import Langfuse

sdk = os.environ["SDK"]
kwargs = {"tracing_enabled": False} if sdk == "4" else {}
client = Langfuse(
    public_key=os.environ["LANGFUSE_PUBLIC_KEY"],
    secret_key=os.environ["LANGFUSE_SECRET_KEY"],
    host=os.environ["LANGFUSE_HOST"],
    **kwargs,
)
out: dict = {}


def _status(call) -> int | None:
    """The HTTP status of the SDK's error for `call()`, or None when it succeeds."""
    try:
        call()
    except Exception as exc:  # the SDKs raise their own NotFoundError / ApiError subclasses
        return getattr(exc, "status_code", None)
    return None


if sdk == "5":
    seen, cursor, pages = [], None, 0
    while True:
        page = client.api.scores.get_many(limit=2, cursor=cursor, fields="details,subject,annotation")
        pages += 1
        for s in page.data:
            subject = [s.subject.kind, s.subject.id, getattr(s.subject, "trace_id", None)] if s.subject else None
            seen.append([s.id, s.name, s.data_type, s.value, subject, s.comment, s.project_id])
        cursor = page.meta.cursor
        if not cursor:
            break
    out.update(scores=seen, pages=pages)
    booleans = client.api.scores.get_many(data_type="BOOLEAN", value="true")
    out["true_booleans"] = [s.id for s in booleans.data]
    doomed = os.environ["DELETE_ID"]
    client.api.scores.delete(doomed)
    out["after_delete"] = [s.id for s in client.api.scores.get_many(id=doomed).data]
elif sdk == "4":
    listed = client.api.scores.get_many(limit=50)
    out["scores"] = [
        [
            s.id,
            s.name,
            s.data_type,
            getattr(s, "value", None),
            getattr(s, "string_value", None),
            s.trace_id,
            s.session_id,
        ]
        for s in listed.data
    ]
    out["traces"] = {s.id: (s.trace.user_id, s.trace.tags) if s.trace else None for s in listed.data}
    out["meta"] = [listed.meta.page, listed.meta.limit, listed.meta.total_items, listed.meta.total_pages]
    of_user = client.api.scores.get_many(user_id="user-1", trace_tags=["t1", "t2"], fields="score,trace")
    out["of_user"] = sorted(s.name for s in of_user.data)
    one = client.api.scores.get_by_id(os.environ["GET_ID"])
    out["one"] = [one.id, one.name, one.data_type, one.value, one.comment, one.trace_id]
    doomed = os.environ["DELETE_ID"]
    client.api.legacy.score_v1.delete(doomed)
    out["after_delete"] = _status(lambda: client.api.scores.get_by_id(doomed))
else:
    one = client.client.score.get_by_id(os.environ["GET_ID"])
    out["one"] = [one.id, one.name, one.data_type, one.value, one.comment, one.trace_id]
    out["missing"] = _status(lambda: client.client.score.get_by_id("no-such-score"))
    listed = client.client.score.get(limit=50)
    out["listed"] = sorted([s.id, s.name, s.data_type, s.value, s.trace_id] for s in listed.data)
    out["listed_meta"] = [listed.meta.page, listed.meta.limit, listed.meta.total_items]
    out["named"] = [s.id for s in client.client.score.get(name="quality", data_type="NUMERIC").data]
print(json.dumps(out, default=str))
