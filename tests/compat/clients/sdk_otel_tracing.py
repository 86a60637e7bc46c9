"""Langfuse Python SDK 4.x / 5.x tracing over OTLP, plus scores (runs in .venvs/langfuse4 or 5)."""

import json
import os
from datetime import UTC, datetime

from langfuse import Langfuse, propagate_attributes

client = Langfuse(
    public_key=os.environ["LANGFUSE_PUBLIC_KEY"],
    secret_key=os.environ["LANGFUSE_SECRET_KEY"],
    host=os.environ["LANGFUSE_HOST"],
    environment="capture-env",
    release="rel-1",
)
assert client.auth_check()
with propagate_attributes(
    user_id="user-1",
    session_id="session-1",
    tags=["t1", "t2"],
    trace_name="my-trace",
    metadata={"tenant": "acme"},
    version="v9",
):
    with client.start_as_current_observation(name="my-trace", as_type="span", input={"q": "hi"}) as root:
        with client.start_as_current_observation(
            name="llm-call",
            as_type="generation",
            model="gpt-4o",
            model_parameters={"temperature": 0.2},
            input=[{"role": "user", "content": "hi"}],
            usage_details={"input": 3, "output": 5, "total": 8},
            cost_details={"total": 0.02},
            metadata={"step": "answer", "attempt": 2},
            completion_start_time=datetime.now(UTC),
        ) as generation:
            generation.update(output="hello")
            generation_id = generation.id
        with client.start_as_current_observation(
            name="search", as_type="tool", level="WARNING", status_message="slow"
        ) as tool:
            tool.update(output={"hits": 2})
            tool_id = tool.id
        client.create_event(name="an-event", input={"clicked": True})
        root.update(output={"a": "hello"})
        trace_id, root_id = root.trace_id, root.id
client.create_score(trace_id=trace_id, name="quality", value=0.9, comment="good")
client.create_score(
    trace_id=trace_id, observation_id=generation_id, name="label", value="good", data_type="CATEGORICAL"
)
client.create_score(session_id="session-1", name="resolved", value=1, data_type="BOOLEAN")
client.flush()
client.shutdown()
print(json.dumps({"trace_id": trace_id, "root_id": root_id, "generation_id": generation_id, "tool_id": tool_id}))
