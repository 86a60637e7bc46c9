"""The official Python SDKs (2.51.x as Dify <= 1.13 pins it, 4.x, newest 5.x) and a plain
OpenTelemetry exporter, against LangOps served by gunicorn; everything they sent is read back."""

from datetime import timedelta

import pytest

from apps.scores.models import Score
from apps.traces.models import Observation, Session, Trace
from tests.compat.conftest import run_python_client
from tests.ingestion.helpers import store
from tests.scores.helpers import score

pytestmark = [pytest.mark.compat, pytest.mark.django_db(transaction=True)]


def _trace(tenant, trace_id):
    return Trace.objects.get(project_id=tenant.project.id, id=trace_id)


def _obs(tenant, obs_id):
    return Observation.objects.get(project_id=tenant.project.id, id=obs_id)


def _own_metadata(observation):
    """An OTLP observation's metadata without the resource and scope the mapping records beside it."""
    return {k: v for k, v in observation.metadata.items() if k not in ("resourceAttributes", "scope")}


def test_sdk2_dify_workflow(server, tenant):
    ids = run_python_client("langfuse2", "sdk2_dify.py", server, tenant.project_key)
    assert ids["project_id"] == tenant.project.id
    trace = _trace(tenant, ids["trace_id"])
    assert (trace.name, trace.user_id, trace.session_id, trace.tags) == (
        "workflow",
        "end-user-1",
        "conversation-1",
        ["workflow"],
    )
    assert trace.input == {"query": "hi"} and trace.output == {"answer": "hello"}
    assert trace.metadata["app_id"] == "app-1" and trace.version == "2026-01-01"
    assert trace.observation_count == 4 and trace.error_count == 1 and trace.level_max == 3

    run = _obs(tenant, ids["run_id"])
    assert run.type == "SPAN" and run.parent_observation_id is None
    assert (run.end_time - run.start_time).total_seconds() == 3
    failing = _obs(tenant, ids["nodes"]["code"])
    assert (failing.level, failing.status_message, failing.parent_observation_id) == (
        "ERROR",
        "division by zero",
        ids["run_id"],
    )
    llm = _obs(tenant, ids["nodes"]["llm"])
    assert llm.type == "GENERATION" and llm.model == "gpt-4o"
    assert llm.model_parameters == {"temperature": "0.2", "max_tokens": 512}  # SDK v2 stringifies floats
    assert llm.usage_details == {"input": 10, "output": 5, "total": 15} and llm.usage_unit == "TOKENS"
    assert float(llm.total_cost) == pytest.approx(0.0001)
    assert llm.input == [{"role": "user", "content": "hi"}] and llm.completion_start_time is not None
    score = Score.objects.get(project_id=tenant.project.id, trace_id=ids["trace_id"])
    assert (score.name, score.value, score.comment, score.data_type) == ("user-feedback", 1.0, "good", "NUMERIC")
    assert Session.objects.filter(project_id=tenant.project.id, id="conversation-1").exists()

    nested = _trace(tenant, ids["nested_trace_id"])
    assert nested.output == {"done": True} and nested.user_id == "end-user-2"
    generation = _obs(tenant, ids["nested_generation_id"])
    assert generation.output == "pong" and generation.end_time is not None
    assert generation.usage_details == {"input": 3, "output": 2, "total": 5}
    assert Score.objects.get(project_id=tenant.project.id, trace_id=nested.id).value == 0.5
    # Read back by SDK v2 itself: a trace without cost is 0, not a null its models refuse.
    unpriced = ids["unpriced"]
    assert unpriced["fetched"][1:] == [0.0, 1] and unpriced["listed"] == [unpriced["fetched"][0]]


def test_sdk4_dify_single_event_batches(server, tenant):
    ids = run_python_client("langfuse4", "sdk4_dify_batch.py", server, tenant.project_key)
    trace = _trace(tenant, ids["trace_id"])
    assert trace.name == "message" and trace.session_id == "conversation-14"  # explicit null kept it
    assert trace.output == {"answer": "hello"} and trace.tags == ["chat", "message"]
    assert trace.observation_count == 2
    generation = Observation.objects.get(project_id=tenant.project.id, trace_id=ids["trace_id"], type="GENERATION")
    assert generation.id  # Dify sent no id: the server generated one and stored it
    assert generation.usage_details == {"input": 12, "output": 7, "total": 19}
    assert _obs(tenant, ids["span_id"]).name == "moderation"
    assert _trace(tenant, ids["orphan_trace"]).observation_count == 1


@pytest.mark.parametrize("venv", ["langfuse4", "langfuse5"])
def test_sdk_otel_tracing_and_scores(venv, server, tenant):
    ids = run_python_client(venv, "sdk_otel_tracing.py", server, tenant.project_key)
    trace = _trace(tenant, ids["trace_id"])
    assert (trace.name, trace.user_id, trace.session_id, trace.tags) == (
        "my-trace",
        "user-1",
        "session-1",
        ["t1", "t2"],
    )
    assert trace.metadata.get("tenant") == "acme"
    assert (trace.environment, trace.release, trace.version) == ("capture-env", "rel-1", "v9")
    assert trace.input == {"q": "hi"} and trace.output == {"a": "hello"}
    assert trace.observation_count == 4
    for observation in Observation.objects.filter(project_id=tenant.project.id, trace_id=ids["trace_id"]):
        assert (observation.environment, observation.version) == ("capture-env", "v9")  # propagated to every span
        scope = observation.metadata["scope"]
        assert (scope["name"], scope["attributes"]) == ("langfuse-sdk", {"public_key": tenant.project_key.public_key})
        assert scope["version"].startswith(venv[-1] + ".")
        resource = observation.metadata["resourceAttributes"]
        assert (resource["langfuse.environment"], resource["langfuse.release"]) == ("capture-env", "rel-1")
    root = _obs(tenant, ids["root_id"])
    assert (root.type, root.name, root.parent_observation_id) == ("SPAN", "my-trace", None)
    assert root.input == {"q": "hi"} and root.output == {"a": "hello"} and _own_metadata(root) == {}
    generation = _obs(tenant, ids["generation_id"])
    assert (generation.type, generation.name, generation.model) == ("GENERATION", "llm-call", "gpt-4o")
    assert generation.parent_observation_id == ids["root_id"]
    assert generation.model_parameters == {"temperature": 0.2}
    assert generation.usage_details == {"input": 3, "output": 5, "total": 8}
    assert generation.cost_details == {"total": "0.02"}
    assert float(generation.total_cost) == pytest.approx(0.02) and generation.output == "hello"
    assert generation.input == [{"role": "user", "content": "hi"}]
    assert _own_metadata(generation) == {"step": "answer", "attempt": 2}  # JSON-encoded attributes, parsed
    assert abs(generation.completion_start_time - generation.start_time) < timedelta(seconds=5)  # now(), at start
    tool = _obs(tenant, ids["tool_id"])
    assert (tool.type, tool.name, tool.level, tool.status_message) == ("TOOL", "search", "WARNING", "slow")
    assert tool.parent_observation_id == ids["root_id"] and tool.end_time is not None
    assert tool.input is None and tool.output == {"hits": 2} and _own_metadata(tool) == {}
    event = Observation.objects.get(project_id=tenant.project.id, trace_id=ids["trace_id"], name="an-event")
    assert event.type == "EVENT" and event.start_time == event.end_time
    assert event.parent_observation_id == ids["root_id"]
    assert event.input == {"clicked": True} and event.output is None and _own_metadata(event) == {}

    scores = {s.name: s for s in Score.objects.filter(project_id=tenant.project.id)}
    assert scores["quality"].value == pytest.approx(0.9) and scores["quality"].comment == "good"
    assert scores["label"].string_value == "good" and scores["label"].observation_id == ids["generation_id"]
    assert scores["resolved"].session_id == "session-1" and scores["resolved"].string_value == "True"


def test_plain_opentelemetry_exporter(server, tenant):
    ids = run_python_client("langfuse5", "plain_otel_exporter.py", server, tenant.project_key)
    trace = _trace(tenant, ids["trace_id"])
    assert trace.name == "rag-request" and trace.session_id == "rag-session" and trace.user_id == "rag-user"
    assert trace.environment == "staging" and trace.observation_count == 3
    root = Observation.objects.get(project_id=tenant.project.id, trace_id=ids["trace_id"], name="rag-request")
    assert root.type == "SPAN" and root.parent_observation_id is None
    assert "attributes" not in root.metadata  # session.id and user.id went to the trace
    for observation in Observation.objects.filter(project_id=tenant.project.id, trace_id=ids["trace_id"]):
        assert observation.environment == "staging"
        assert observation.metadata["resourceAttributes"]["service.name"] == "rag-app"
        assert observation.metadata["scope"]["name"] == "rag-app"
    chat = _obs(tenant, ids["chat_id"])
    assert (chat.type, chat.name, chat.model) == ("GENERATION", "chat gpt-4o-mini", "gpt-4o-mini")
    assert chat.parent_observation_id == root.id
    assert chat.model_parameters == {"temperature": 0.1}
    assert chat.usage_details == {"input": 42, "output": 7, "total": 49}
    assert chat.input == [{"role": "user", "content": "What is RAG?"}]
    assert chat.output == [{"role": "assistant", "content": "Retrieval..."}]
    assert chat.metadata["attributes"] == {"gen_ai.operation.name": "chat"}  # every other key was mapped
    retrieve = _obs(tenant, ids["retrieve_id"])
    assert (retrieve.type, retrieve.name, retrieve.parent_observation_id) == ("SPAN", "retrieve", root.id)
    assert retrieve.level == "ERROR" and retrieve.status_message == "index unavailable"
    assert retrieve.metadata["attributes"] == {"custom.index": "docs-v2"}


def test_metrics_exports_keep_their_connection(server, tenant):
    """An exporter sends metrics and traces on one keep-alive connection: the ignored metrics body
    is read, so the server does not drop the connection under the next request."""
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(server)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Content-Type": "application/x-protobuf", "Authorization": tenant.project_key.header}
    for path in ("/api/public/otel/v1/metrics", "/api/public/otel/v1/metrics", "/api/public/otel/v1/traces"):
        connection.request("POST", path, b"\x0a\x00" * 50_000, headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200 and response.getheader("Connection", "").lower() != "close"
    connection.close()


def test_sdk4_api_client_parses_the_read_api(server, tenant):
    """What SDK 5 sent over OTLP, read back through the public API by the SDK 4 generated client."""
    ids = run_python_client("langfuse5", "sdk_otel_tracing.py", server, tenant.project_key)
    read = run_python_client(
        "langfuse4", "sdk4_read_api.py", server, tenant.project_key, TRACE_ID=ids["trace_id"], SESSION_ID="session-1"
    )
    trace = read["trace"]
    assert (trace["id"], trace["name"], trace["user_id"], trace["session_id"]) == (
        ids["trace_id"],
        "my-trace",
        "user-1",
        "session-1",
    )
    assert trace["tags"] == ["t1", "t2"] and trace["input"] == {"q": "hi"}
    assert trace["html_path"] == f"/project/{tenant.project.id}/traces/{ids['trace_id']}"
    assert trace["latency"] is not None and trace["total_cost"] == pytest.approx(0.02)
    assert trace["observations"] == [
        ["EVENT", "an-event"],
        ["GENERATION", "llm-call"],
        ["SPAN", "my-trace"],
        ["TOOL", "search"],
    ]
    assert trace["scores"] == [["label", "CATEGORICAL"], ["quality", "NUMERIC"]]
    assert read["listed"] == [ids["trace_id"]] and read["listed_total"] == 1
    assert read["sessions"] == ["session-1"] and read["session_traces"] == [ids["trace_id"]]
    assert read["observations_listed"] == 4


@pytest.mark.parametrize("venv", ["langfuse4", "langfuse5"])
def test_generated_clients_parse_observations_v2_and_comments(venv, server, tenant):
    ids = run_python_client("langfuse5", "sdk_otel_tracing.py", server, tenant.project_key)
    read = run_python_client(
        venv,
        "api_observations_comments.py",
        server,
        tenant.project_key,
        SDK=venv[-1],
        TRACE_ID=ids["trace_id"],
        PROJECT_ID=tenant.project.id,
    )
    assert read["pages"] == 2  # four observations, two per page, followed through the cursor
    assert [o[:2] for o in read["observations"]] == [
        ["EVENT", "an-event"],
        ["GENERATION", "llm-call"],
        ["SPAN", "my-trace"],
        ["TOOL", "search"],
    ]
    assert ["GENERATION", "llm-call", 0.02] in read["observations"]
    assert read["comment"] == "Looks slow. 遅い。" and read["comments"] == read["total"] == 1


def _scores_sent(tenant, ids) -> dict[str, Score]:
    """What sdk_otel_tracing.py sent (quality, label, resolved), plus a TEXT and a CORRECTION score."""
    store(
        tenant.project.id,
        [
            score("text-1", 0, traceId=ids["trace_id"], name="note", value="free text", dataType="TEXT"),
            score(
                "fix-1",
                0,
                traceId=ids["trace_id"],
                observationId=ids["generation_id"],
                name="fix",
                value="better",
                dataType="CORRECTION",
            ),
        ],
    )
    stored = {s.name: s for s in Score.objects.filter(project_id=tenant.project.id)}
    assert set(stored) == {"quality", "label", "resolved", "note", "fix"}
    return stored


def test_sdk5_reads_scores_v3_and_deletes_one(server, tenant):
    ids = run_python_client("langfuse5", "sdk_otel_tracing.py", server, tenant.project_key)
    sent = _scores_sent(tenant, ids)
    read = run_python_client(
        "langfuse5", "api_scores.py", server, tenant.project_key, SDK="5", DELETE_ID=sent["label"].id
    )
    assert read["pages"] == 3  # five scores, two per page, followed through the cursor
    trace_id, generation_id, project_id = ids["trace_id"], ids["generation_id"], tenant.project.id
    assert sorted(read["scores"], key=lambda s: s[1]) == [
        [sent["fix"].id, "fix", "CORRECTION", "better", ["observation", generation_id, trace_id], None, project_id],
        [sent["label"].id, "label", "CATEGORICAL", "good", ["observation", generation_id, trace_id], None, project_id],
        [sent["note"].id, "note", "TEXT", "free text", ["trace", trace_id, None], None, project_id],
        [sent["quality"].id, "quality", "NUMERIC", 0.9, ["trace", trace_id, None], "good", project_id],
        [sent["resolved"].id, "resolved", "BOOLEAN", True, ["session", "session-1", None], None, project_id],
    ]
    assert read["true_booleans"] == [sent["resolved"].id]
    assert read["after_delete"] == []
    assert not Score.objects.filter(project_id=project_id, id=sent["label"].id).exists()
    assert Score.objects.filter(project_id=project_id).count() == 4


def test_sdk4_reads_scores_v2_and_deletes_one(server, tenant):
    ids = run_python_client("langfuse5", "sdk_otel_tracing.py", server, tenant.project_key)
    sent = _scores_sent(tenant, ids)
    read = run_python_client(
        "langfuse4",
        "api_scores.py",
        server,
        tenant.project_key,
        SDK="4",
        GET_ID=sent["quality"].id,
        DELETE_ID=sent["resolved"].id,
    )
    trace_id = ids["trace_id"]
    assert sorted(read["scores"], key=lambda s: s[1]) == [
        [sent["fix"].id, "fix", "CORRECTION", 0, "better", trace_id, None],
        [sent["label"].id, "label", "CATEGORICAL", 0, "good", trace_id, None],
        [sent["note"].id, "note", "TEXT", 0, "free text", trace_id, None],
        [sent["quality"].id, "quality", "NUMERIC", 0.9, None, trace_id, None],
        [sent["resolved"].id, "resolved", "BOOLEAN", 1, "True", None, "session-1"],
    ]
    assert read["traces"][sent["quality"].id] == ["user-1", ["t1", "t2"]]
    assert read["traces"][sent["resolved"].id] is None  # a session score has no trace
    assert read["meta"] == [1, 50, 5, 1]
    assert read["of_user"] == ["fix", "label", "note", "quality"]
    assert read["one"] == [sent["quality"].id, "quality", "NUMERIC", 0.9, "good", trace_id]
    assert read["after_delete"] == 404
    assert not Score.objects.filter(project_id=tenant.project.id, id=sent["resolved"].id).exists()


def test_sdk2_gets_a_score_by_id_and_lists_scores(server, tenant):
    ids = run_python_client("langfuse5", "sdk_otel_tracing.py", server, tenant.project_key)
    sent = _scores_sent(tenant, ids)
    quality = sent["quality"]
    read = run_python_client("langfuse2", "api_scores.py", server, tenant.project_key, SDK="2", GET_ID=quality.id)
    assert read["one"] == [quality.id, "quality", "NUMERIC", 0.9, "good", ids["trace_id"]]
    assert read["missing"] == 404
    # The v1 list holds what SDK 2.x can parse: scores of a trace, numeric, categorical or boolean
    # (not the session's boolean, the TEXT note or the CORRECTION fix).
    trace_id = ids["trace_id"]
    assert read["listed"] == sorted(
        [
            [sent["label"].id, "label", "CATEGORICAL", 0, trace_id],
            [quality.id, "quality", "NUMERIC", 0.9, trace_id],
        ]
    )
    assert read["listed_meta"] == [1, 50, 2]
    assert read["named"] == [quality.id]
