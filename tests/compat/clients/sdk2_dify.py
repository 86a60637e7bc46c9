"""Langfuse Python SDK 2.51.x driven the way Dify <= 1.13 drives it (runs in .venvs/langfuse2).

Prints the ids it used as JSON; the test reads everything back from LangOps.
"""

import json
import os
import uuid
from datetime import UTC, datetime, timedelta

from langfuse import Langfuse

client = Langfuse(
    public_key=os.environ["LANGFUSE_PUBLIC_KEY"],
    secret_key=os.environ["LANGFUSE_SECRET_KEY"],
    host=os.environ["LANGFUSE_HOST"],
)
assert client.auth_check(), "auth_check failed"
project_id = client.client.projects.get().data[0].id

start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
trace_id, run_id = str(uuid.uuid4()), str(uuid.uuid4())
client.trace(
    id=trace_id,
    name="workflow",
    user_id="end-user-1",
    session_id="conversation-1",
    input={"query": "hi"},
    output={"answer": "hello"},
    metadata={"app_id": "app-1", "workflow_app_log_id": None},
    tags=["workflow"],
    version="2026-01-01",
)
client.span(
    id=run_id,
    trace_id=trace_id,
    name="workflow",
    start_time=start,
    end_time=start + timedelta(seconds=3),
    input={"query": "hi"},
    output={"answer": "hello"},
    metadata={"app_id": "app-1"},
    level="DEFAULT",
    status_message="",
)
node_ids = {}
for index, (name, level, message) in enumerate([("start", "DEFAULT", ""), ("code", "ERROR", "division by zero")]):
    node_ids[name] = str(uuid.uuid4())
    client.span(
        id=node_ids[name],
        trace_id=trace_id,
        parent_observation_id=run_id,
        name=name,
        start_time=start + timedelta(seconds=index),
        end_time=start + timedelta(seconds=index + 0.5),
        input={"node": name},
        output={"ok": level != "ERROR"},
        level=level,
        status_message=message,
        metadata={"node_type": name},
    )
node_ids["llm"] = str(uuid.uuid4())
client.generation(
    id=node_ids["llm"],
    trace_id=trace_id,
    parent_observation_id=run_id,
    name="llm",
    model="gpt-4o",
    model_parameters={"temperature": 0.2, "max_tokens": 512},
    input=[{"role": "user", "content": "hi"}],
    output={"role": "assistant", "content": "hello"},
    start_time=start + timedelta(seconds=1),
    end_time=start + timedelta(seconds=2),
    completion_start_time=start + timedelta(seconds=1.2),
    usage={"input": 10, "output": 5, "total": 15, "unit": "TOKENS", "totalCost": 0.0001},
    metadata={"node_type": "llm"},
)
client.score(trace_id=trace_id, name="user-feedback", value=1, comment="good")

# SDK v2 nested objects with updates: applied whatever the order inside the batch.
nested = client.trace(name="nested", user_id="end-user-2")
generation = nested.generation(name="chat", model="gpt-4o-mini", input="ping")
generation.end(output="pong", usage={"promptTokens": 3, "completionTokens": 2, "totalTokens": 5})
nested.update(output={"done": True})
nested.score(name="quality", value=0.5)
# A trace with spans only (no cost): SDK v2's read helpers validate latency and cost as floats.
unpriced = client.trace(name="unpriced")
unpriced.span(name="step", input="x", output="y")
client.flush()
fetched = client.fetch_trace(unpriced.id).data
listed = client.fetch_traces(name="unpriced").data
print(
    json.dumps(
        {
            "project_id": project_id,
            "trace_id": trace_id,
            "run_id": run_id,
            "nodes": node_ids,
            "nested_trace_id": nested.id,
            "nested_generation_id": generation.id,
            "unpriced": {
                "fetched": [fetched.id, fetched.total_cost, len(fetched.observations)],
                "listed": [trace.id for trace in listed],
            },
        }
    )
)
