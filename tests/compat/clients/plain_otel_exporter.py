"""A plain OpenTelemetry SDK exporter (no Langfuse code) with GenAI semantic conventions."""

import base64
import json
import os

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

auth = base64.b64encode(f"{os.environ['LANGFUSE_PUBLIC_KEY']}:{os.environ['LANGFUSE_SECRET_KEY']}".encode()).decode()
exporter = OTLPSpanExporter(
    endpoint=f"{os.environ['LANGFUSE_HOST']}/api/public/otel/v1/traces", headers={"Authorization": f"Basic {auth}"}
)
provider = TracerProvider(
    resource=Resource.create({"service.name": "rag-app", "deployment.environment.name": "staging"})
)
provider.add_span_processor(BatchSpanProcessor(exporter))
tracer = provider.get_tracer("rag-app")
with tracer.start_as_current_span(
    "rag-request", attributes={"session.id": "rag-session", "user.id": "rag-user"}
) as root:
    with tracer.start_as_current_span(
        "chat gpt-4o-mini",
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.request.temperature": 0.1,
            "gen_ai.usage.input_tokens": 42,
            "gen_ai.usage.output_tokens": 7,
            "gen_ai.input.messages": json.dumps([{"role": "user", "content": "What is RAG?"}]),
            "gen_ai.output.messages": json.dumps([{"role": "assistant", "content": "Retrieval..."}]),
        },
    ) as chat:
        chat_id = format(chat.get_span_context().span_id, "016x")
    with tracer.start_as_current_span("retrieve", attributes={"custom.index": "docs-v2"}) as retrieve:
        retrieve.set_status(Status(StatusCode.ERROR, "index unavailable"))
        retrieve_id = format(retrieve.get_span_context().span_id, "016x")
    trace_id = format(root.get_span_context().trace_id, "032x")
provider.force_flush()
provider.shutdown()
print(json.dumps({"trace_id": trace_id, "chat_id": chat_id, "retrieve_id": retrieve_id}))
