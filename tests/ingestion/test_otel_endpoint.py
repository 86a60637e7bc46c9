"""POST /api/public/otel/v1/traces: both encodings, the attribute mapping and bad input."""

import json
from types import SimpleNamespace

import pytest

from apps.ingestion import ratelimit
from apps.traces.models import Observation, Trace
from tests.ingestion.otlp import json_request, post_otlp, protobuf_request

pytestmark = pytest.mark.core

TRACE = "d748577a4d7b63c8cbd40be0458169c9"
ROOT, LLM, TOOL = "142420e37e17e356", "741939f47b87ca94", "8a1b2c3d4e5f6071"

SDK5_SPANS = [
    {
        "trace_id": TRACE,
        "span_id": ROOT,
        "name": "my-trace",
        "start_ms": 0,
        "end_ms": 100,
        "attributes": {
            "langfuse.observation.type": "span",
            "langfuse.internal.is_app_root": True,
            "langfuse.observation.input": '{"q": "hi"}',
            "langfuse.observation.output": '{"a": "hello"}',
            "user.id": "user-1",
            "session.id": "session-1",
            "langfuse.trace.name": "my-trace",
            "langfuse.trace.tags": ["t1", "t2"],
            "langfuse.trace.metadata.tenant": '"acme"',
            "langfuse.environment": "capture-env",
            "langfuse.release": "rel-1",
            "langfuse.version": "v9",
        },
    },
    {
        "trace_id": TRACE,
        "span_id": LLM,
        "parent": ROOT,
        "name": "llm-call",
        "start_ms": 10,
        "end_ms": 60,
        "attributes": {
            "langfuse.observation.type": "generation",
            "langfuse.observation.model.name": "gpt-4o",
            "langfuse.observation.model.parameters": '{"temperature": 0.2}',
            "langfuse.observation.usage_details": '{"input": 3, "output": 5, "total": 8}',
            "langfuse.observation.cost_details": '{"total": 0.02}',
            "langfuse.observation.prompt.name": "my-prompt",
            "langfuse.observation.prompt.version": 3,
            "langfuse.observation.completion_start_time": '"2026-11-28T10:50:32.700Z"',
            "langfuse.observation.metadata.step": '"generate"',
            "user.id": "user-1",
            "langfuse.environment": "capture-env",
        },
    },
    {
        "trace_id": TRACE,
        "span_id": TOOL,
        "parent": ROOT,
        "name": "search",
        "start_ms": 60,
        "end_ms": 90,
        "attributes": {
            "langfuse.observation.type": "tool",
            "langfuse.observation.level": "WARNING",
            "langfuse.observation.status_message": "slow",
            "langfuse.environment": "capture-env",
        },
    },
]


def _check_sdk5_trace(project_id: str) -> None:
    trace = Trace.objects.get(project_id=project_id, id=TRACE)
    assert (trace.name, trace.user_id, trace.session_id) == ("my-trace", "user-1", "session-1")
    assert trace.tags == ["t1", "t2"]
    assert (trace.environment, trace.release, trace.version) == ("capture-env", "rel-1", "v9")
    assert trace.input == {"q": "hi"} and trace.output == {"a": "hello"}
    assert trace.observation_count == 3 and trace.level_max == 2
    root = Observation.objects.get(project_id=project_id, id=ROOT)
    assert root.type == "SPAN" and root.parent_observation_id is None and root.trace_id == TRACE
    # The trace's own metadata, and where its root span came from (as Langfuse shows it).
    origin = {name: root.metadata[name] for name in ("resourceAttributes", "scope")}
    assert origin["scope"]["name"] == "langfuse-sdk" and origin["resourceAttributes"]["service.name"]
    assert trace.metadata == {"tenant": "acme", **origin}
    llm = Observation.objects.get(project_id=project_id, id=LLM)
    assert llm.type == "GENERATION" and llm.parent_observation_id == ROOT and llm.model == "gpt-4o"
    assert llm.model_parameters == {"temperature": 0.2}
    assert llm.usage_details == {"input": 3, "output": 5, "total": 8} and float(llm.total_cost) == 0.02
    assert (llm.prompt_name, llm.prompt_version) == ("my-prompt", 3)
    assert llm.completion_start_time.isoformat().startswith("2026-11-28T10:50:32.700")
    assert llm.metadata["step"] == "generate"
    assert (llm.end_time - llm.start_time).total_seconds() == pytest.approx(0.05)
    tool = Observation.objects.get(project_id=project_id, id=TOOL)
    assert (tool.type, tool.level, tool.status_message) == ("TOOL", "WARNING", "slow")


def test_protobuf_gzip_from_sdk5(tenant, api_client):
    response = post_otlp(
        api_client,
        tenant.project_key.header,
        protobuf_request(SDK5_SPANS),
        compress=True,
        HTTP_X_LANGFUSE_INGESTION_VERSION="4",
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/x-protobuf"
    _check_sdk5_trace(tenant.project.id)


def test_json_from_the_js_sdk(tenant, api_client):
    response = post_otlp(api_client, tenant.project_key.header, json_request(SDK5_SPANS), protobuf=False)
    assert response.status_code == 200 and response.json() == {}
    _check_sdk5_trace(tenant.project.id)


def test_re_export_merges(tenant, api_client):
    post_otlp(api_client, tenant.project_key.header, protobuf_request(SDK5_SPANS))
    post_otlp(api_client, tenant.project_key.header, protobuf_request(SDK5_SPANS))
    assert Observation.objects.filter(project_id=tenant.project.id).count() == 3
    assert Trace.objects.get(project_id=tenant.project.id, id=TRACE).observation_count == 3


def test_genai_and_openinference_attributes(tenant, api_client):
    spans = [
        {
            "trace_id": "a" * 32,
            "span_id": "b" * 16,
            "name": "chat gpt-4o",
            "attributes": {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.request.temperature": 0.5,
                "gen_ai.usage.input_tokens": 100,
                "gen_ai.usage.output_tokens": 20,
                "gen_ai.usage.cost": 0.003,
                "gen_ai.input.messages": '[{"role": "user", "content": "hi"}]',
                "gen_ai.output.messages": "[]",
                "session.id": "s9",
                "deployment.environment.name": "staging",
                "custom.flag": True,
            },
        },
        {
            "trace_id": "a" * 32,
            "span_id": "c" * 16,
            "parent": "b" * 16,
            "name": "retrieve",
            "error": "no docs",
            "attributes": {
                "openinference.span.kind": "RETRIEVER",
                "input.value": "query",
                "output.value": '{"docs": []}',
            },
        },
        {
            "trace_id": "a" * 32,
            "span_id": "d" * 16,
            "parent": "b" * 16,
            "name": "llm",
            "attributes": {
                "openinference.span.kind": "LLM",
                "llm.model_name": "claude-3",
                "llm.token_count.prompt": 7,
                "llm.token_count.completion": 4,
                "llm.token_count.total": 11,
                "llm.input_messages.0.message.role": "user",
                "llm.input_messages.0.message.content": "hello",
            },
        },
    ]
    assert post_otlp(api_client, tenant.project_key.header, protobuf_request(spans, scope="my-app")).status_code == 200
    project = tenant.project.id
    chat = Observation.objects.get(project_id=project, id="b" * 16)
    assert chat.type == "GENERATION" and chat.model == "gpt-4o" and chat.environment == "staging"
    assert chat.usage_details == {"input": 100, "output": 20, "total": 120}
    assert float(chat.total_cost) == 0.003 and chat.model_parameters == {"temperature": 0.5}
    assert chat.input == [{"role": "user", "content": "hi"}]
    assert chat.metadata["attributes"] == {"gen_ai.operation.name": "chat", "custom.flag": True}
    retriever = Observation.objects.get(project_id=project, id="c" * 16)
    assert (retriever.type, retriever.level, retriever.status_message) == ("RETRIEVER", "ERROR", "no docs")
    assert retriever.input == "query" and retriever.output == {"docs": []}
    llm = Observation.objects.get(project_id=project, id="d" * 16)
    assert llm.type == "GENERATION" and llm.model == "claude-3"
    assert llm.usage_details == {"input": 7, "output": 4, "total": 11}
    assert llm.input == [{"message": {"role": "user", "content": "hello"}}]  # as Langfuse rebuilds it
    trace = Trace.objects.get(project_id=project, id="a" * 32)
    assert trace.session_id == "s9" and trace.name == "chat gpt-4o"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x00\x01garbage-protobuf\xff", "application/x-protobuf"),
        (b"{not json", "application/json"),
        (b'{"resourceSpans": {"not": "an array"}}', "application/json"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "no ids"}]}]}]}', "application/json"),
    ],
)
def test_garbage_is_400(body, content_type, tenant, api_client):
    response = api_client.generic(
        "POST",
        "/api/public/otel/v1/traces",
        body,
        content_type=content_type,
        HTTP_AUTHORIZATION=tenant.project_key.header,
    )
    assert response.status_code == 400
    assert not Trace.objects.filter(project_id=tenant.project.id).exists()


def test_wrong_content_type_and_version(tenant, api_client):
    header = tenant.project_key.header
    assert (
        api_client.generic(
            "POST", "/api/public/otel/v1/traces", b"x", content_type="text/plain", HTTP_AUTHORIZATION=header
        ).status_code
        == 400
    )
    response = post_otlp(api_client, header, protobuf_request(SDK5_SPANS), HTTP_X_LANGFUSE_INGESTION_VERSION="9")
    assert response.status_code == 400


def test_empty_request_is_ok(tenant, api_client):
    assert post_otlp(api_client, tenant.project_key.header, protobuf_request([])).status_code == 200
    assert post_otlp(api_client, tenant.project_key.header, b'{"resourceSpans": []}', protobuf=False).json() == {}


def test_metrics_are_accepted_and_ignored(tenant, api_client):
    response = api_client.generic(
        "POST",
        "/api/public/otel/v1/metrics",
        b"\x0a\x00",
        content_type="application/x-protobuf",
        HTTP_AUTHORIZATION=tenant.project_key.header,
    )
    assert response.status_code == 200


def test_otel_needs_a_secret_key(tenant, api_client):
    response = api_client.generic(
        "POST",
        "/api/public/otel/v1/traces",
        protobuf_request(SDK5_SPANS),
        content_type="application/x-protobuf",
        HTTP_AUTHORIZATION=f"Bearer {tenant.project_key.public_key}",
    )
    assert response.status_code == 401


def test_values_beyond_the_columns_are_clamped_as_on_the_batch_endpoint(tenant, api_client):
    """A root span's 5,000-character name and a prompt version past 32 bits are stored, not refused
    (refused, the whole request would be a 503 that the exporter resends forever)."""
    span = {
        "trace_id": TRACE,
        "span_id": ROOT,
        "name": "x" * 5000,
        "start_ms": 0,
        "end_ms": 10,
        "attributes": {
            "langfuse.observation.type": "generation",
            "langfuse.observation.prompt.name": "p",
            "langfuse.observation.prompt.version": 2**40,
        },
    }
    response = post_otlp(api_client, tenant.project_key.header, protobuf_request([span]))
    assert response.status_code == 200
    trace = Trace.objects.get(project_id=tenant.project.id, id=TRACE)
    assert trace.name == "x" * 1000
    assert Observation.objects.get(project_id=tenant.project.id, id=ROOT).prompt_version is None


ODD_BUT_VALID = {
    "infinite token count": {"gen_ai.usage.input_tokens": float("inf"), "gen_ai.usage.output_tokens": 4},
    "numeric trace name": {"langfuse.trace.name": 42},
    "list as trace name": {"langfuse.trace.name": ["a", "b"]},
    "impossible completion start": {"langfuse.observation.completion_start_time": "2026-13-45T10:00:00Z"},
    "huge message index": {"gen_ai.prompt." + "9" * 5000 + ".content": "hi", "gen_ai.prompt.0.content": "kept"},
}


@pytest.mark.parametrize("case", ODD_BUT_VALID)
def test_an_odd_attribute_never_fails_its_span(case, tenant, api_client):
    span = {"trace_id": TRACE, "span_id": LLM, "name": "odd", "attributes": ODD_BUT_VALID[case]}
    response = post_otlp(api_client, tenant.project_key.header, protobuf_request([span]))
    assert response.status_code == 200
    observation = Observation.objects.get(project_id=tenant.project.id, id=LLM)
    assert observation.name == "odd" and Trace.objects.filter(project_id=tenant.project.id, id=TRACE).exists()


def test_lone_surrogates_in_otlp_json_are_replaced_not_fatal(tenant, api_client):
    attributes = {"langfuse.observation.status_message": "a\ud800b \U0001f600"}  # a lone one, a pair
    span = {"trace_id": TRACE, "span_id": LLM, "name": "surrogate", "attributes": attributes}
    body = json_request([span])  # json.dumps writes the lone surrogate as the escape \ud800
    assert b"\\ud800" in body
    response = post_otlp(api_client, tenant.project_key.header, body, protobuf=False)
    assert response.status_code == 200
    observation = Observation.objects.get(project_id=tenant.project.id, id=LLM)
    assert observation.status_message == "a\ufffdb \U0001f600"


def test_a_span_with_impossible_ids_is_rejected_alone_as_a_partial_success(tenant, api_client):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

    good = {"trace_id": TRACE, "span_id": LLM, "name": "good"}
    bad = {"trace_id": "ab" * 500, "span_id": TOOL, "name": "bad"}  # a 1,000-character trace id
    response = post_otlp(api_client, tenant.project_key.header, protobuf_request([good, bad]))
    assert response.status_code == 200
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 1 and "health" in answer.partial_success.error_message
    assert list(Observation.objects.filter(project_id=tenant.project.id).values_list("name", flat=True)) == ["good"]

    response = post_otlp(api_client, tenant.project_key.header, json_request([bad]), protobuf=False)
    assert response.json()["partialSuccess"]["rejectedSpans"] == "1"  # int64 is a string in OTLP JSON
    response = post_otlp(api_client, tenant.project_key.header, protobuf_request([good]))
    assert response.content == b""  # a full success is the empty message


@pytest.mark.parametrize("protobuf", [True, False], ids=["protobuf", "json"])
def test_otlp_over_the_rate_limit_is_429_with_retry_headers_and_stores_nothing(
    protobuf, tenant, other_tenant, api_client, settings, monkeypatch
):
    settings.INGESTION_RATE_LIMIT_PER_MINUTE = 1
    # 45 s into a fixed one-minute window that ends at 2026-11-28 10:51:00 UTC.
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_795_863_045.2))
    encode = protobuf_request if protobuf else json_request
    first = {"trace_id": "1" * 32, "span_id": "1" * 16, "name": "allowed"}
    second = {"trace_id": "2" * 32, "span_id": "2" * 16, "name": "refused"}
    assert post_otlp(api_client, tenant.project_key.header, encode([first]), protobuf=protobuf).status_code == 200

    response = post_otlp(api_client, tenant.project_key.header, encode([second]), protobuf=protobuf)
    assert response.status_code == 429
    assert response["Retry-After"] == "15"
    assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == ("1", "0")
    assert response["X-RateLimit-Reset"] == "Sat Nov 28 2026 10:51:00 GMT+0000 (Coordinated Universal Time)"
    assert response.json() == {
        "message": "Rate limit exceeded",
        "code": "rate_limited",
        "details": {"retryAfterSeconds": 15, "limit": 1, "remaining": 0, "resetAt": "2026-11-28T10:51:00Z"},
    }
    assert set(Observation.objects.filter(project_id=tenant.project.id).values_list("name", flat=True)) == {"allowed"}
    assert not Trace.objects.filter(project_id=tenant.project.id, id="2" * 32).exists()
    # The limit is the project's own: another project's exporter is not held back by it.
    assert (
        post_otlp(api_client, other_tenant.project_key.header, encode([second]), protobuf=protobuf).status_code == 200
    )


_MESSAGES = [{"role": "user", "content": "how do embeddings work? " * 20}]
_DOCUMENTS = {
    # sent as the input attribute: what is stored
    "a message list": (json.dumps(_MESSAGES), _MESSAGES),
    "text that only looks like JSON": ("[not json] " * 30, "[not json] " * 30),
    "a NUL escape": (json.dumps(["a\x00b" * 100]), ["ab" * 100]),
    "a lone surrogate escape": ('["\\ud800' + "x" * 300 + '"]', '["\\ud800' + "x" * 300 + '"]'),
}


@pytest.mark.parametrize("together", [False, True], ids=["alone", "in one request"])
def test_large_json_inputs_are_stored_as_parsed_whatever_the_database_refuses(together, tenant, api_client):
    """Long JSON input and output reach the database as their text (not parsed and encoded again);
    text it refuses is redone the careful way, and each is stored as a parse would have made it."""
    spans = []
    for n, (sent, _stored) in enumerate(_DOCUMENTS.values()):
        attributes = {"langfuse.observation.input": sent, "langfuse.observation.output": sent}
        spans.append({"trace_id": f"{n:032x}", "span_id": f"{n + 1:016x}", "name": "doc", "attributes": attributes})
    requests = [protobuf_request(spans)] if together else [protobuf_request([span]) for span in spans]
    for body in requests:
        assert post_otlp(api_client, tenant.project_key.header, body).status_code == 200
    for n, (case, (_sent, stored)) in enumerate(_DOCUMENTS.items()):
        observation = Observation.objects.get(project_id=tenant.project.id, id=f"{n + 1:016x}")
        trace = Trace.objects.get(project_id=tenant.project.id, id=f"{n:032x}")  # the root span's, too
        assert observation.input == observation.output == trace.input == trace.output == stored, case
