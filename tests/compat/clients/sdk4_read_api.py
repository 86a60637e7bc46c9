"""The generated API client of the Python SDK 4.x parsing LangOps' read responses (runs in .venvs/langfuse4).

Every call goes through the SDK's own pydantic models, so a missing required key or a wrong type fails here.
"""

import json
import os

from langfuse import Langfuse

client = Langfuse(
    public_key=os.environ["LANGFUSE_PUBLIC_KEY"],
    secret_key=os.environ["LANGFUSE_SECRET_KEY"],
    host=os.environ["LANGFUSE_HOST"],
    tracing_enabled=False,
)
trace_id, session_id = os.environ["TRACE_ID"], os.environ["SESSION_ID"]
trace = client.api.trace.get(trace_id)
listed = client.api.trace.list(user_id=trace.user_id, tags=trace.tags, limit=10)
sessions = client.api.sessions.list(limit=10)
session = client.api.sessions.get(session_id)
observation_v1 = client.api.legacy.observations_v1.get(trace.observations[0].id)
many = client.api.legacy.observations_v1.get_many(trace_id=trace_id, limit=50)
print(
    json.dumps(
        {
            "trace": {
                "id": trace.id,
                "name": trace.name,
                "user_id": trace.user_id,
                "session_id": trace.session_id,
                "tags": trace.tags,
                "latency": trace.latency,
                "total_cost": trace.total_cost,
                "html_path": trace.html_path,
                "input": trace.input,
                "output": trace.output,
                "observations": sorted((o.type, o.name) for o in trace.observations),
                "scores": sorted((s.name, s.data_type) for s in trace.scores),
            },
            "listed": [t.id for t in listed.data],
            "listed_total": listed.meta.total_items,
            "sessions": [s.id for s in sessions.data],
            "session_traces": [t.id for t in session.traces],
            "observation": {"id": observation_v1.id, "type": observation_v1.type},
            "observations_listed": len(many.data),
        },
        default=str,
    )
)
