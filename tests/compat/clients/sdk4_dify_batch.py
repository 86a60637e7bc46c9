"""Langfuse Python SDK 4.x as Dify 1.14-1.17 uses it: one synchronous ingestion call per event,
explicit nulls, and the message generation without an id (runs in .venvs/langfuse4)."""

import json
import os
import uuid
from datetime import UTC, datetime

from langfuse import Langfuse
from langfuse.api import (
    CreateGenerationBody,
    CreateSpanBody,
    IngestionEvent_GenerationCreate,
    IngestionEvent_SpanCreate,
    IngestionEvent_TraceCreate,
    TraceBody,
)

client = Langfuse(
    public_key=os.environ["LANGFUSE_PUBLIC_KEY"],
    secret_key=os.environ["LANGFUSE_SECRET_KEY"],
    host=os.environ["LANGFUSE_HOST"],
    tracing_enabled=False,
)
assert client.auth_check()
now = datetime.now(UTC)
trace_id, span_id, orphan_trace = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())


def send(event):
    response = client.api.ingestion.batch(batch=[event])
    assert not response.errors, response.errors
    return response


# The moderation span arrives before its trace, and a span points at a trace never created.
send(
    IngestionEvent_SpanCreate(
        id=str(uuid.uuid4()),
        timestamp=now.isoformat(),
        body=CreateSpanBody(
            id=span_id,
            trace_id=trace_id,
            name="moderation",
            start_time=now,
            end_time=now,
            input={"text": "hi"},
            output={"flagged": False},
            metadata={"kind": "moderation"},
            level="DEFAULT",
        ),
    )
)
send(
    IngestionEvent_TraceCreate(
        id=str(uuid.uuid4()),
        timestamp=now.isoformat(),
        body=TraceBody(
            id=trace_id,
            name="message",
            user_id="user-14",
            session_id="conversation-14",
            input={"query": "hi"},
            output=None,
            metadata={"app_id": "app-14"},
            tags=["message", "chat"],
        ),
    )
)
send(
    IngestionEvent_TraceCreate(
        id=str(uuid.uuid4()),
        timestamp=now.isoformat(),
        body=TraceBody(id=trace_id, session_id=None, output={"answer": "hello"}),
    )
)
send(
    IngestionEvent_GenerationCreate(
        id=str(uuid.uuid4()),
        timestamp=now.isoformat(),
        body=CreateGenerationBody(
            trace_id=trace_id,
            name="llm",
            model="gpt-4o",
            start_time=now,
            end_time=now,
            input=[{"role": "user", "content": "hi"}],
            output={"role": "assistant", "content": "hello"},
            usage_details={"input": 12, "output": 7, "total": 19},
            model_parameters={"temperature": "0.7"},
        ),
    )
)
send(
    IngestionEvent_SpanCreate(
        id=str(uuid.uuid4()),
        timestamp=now.isoformat(),
        body=CreateSpanBody(
            id=str(uuid.uuid4()), trace_id=orphan_trace, name="generate_conversation_name", start_time=now
        ),
    )
)
print(json.dumps({"trace_id": trace_id, "span_id": span_id, "orphan_trace": orphan_trace}))
