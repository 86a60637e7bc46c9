"""The official JavaScript clients: the browser LangfuseWeb (public key, scores) and @langfuse/otel 5.x."""

import pytest

from apps.scores.models import Score
from apps.traces.models import Observation, Trace
from tests.compat.conftest import run_node_client

pytestmark = [pytest.mark.compat, pytest.mark.django_db(transaction=True)]


def test_langfuse_web_sends_a_score_with_the_public_key(server, tenant):
    run_node_client("web_score.mjs", server, tenant.project_key, TRACE_ID="browser-trace")
    score = Score.objects.get(project_id=tenant.project.id, id="web-score-1")
    assert (score.trace_id, score.name, score.value, score.comment) == (
        "browser-trace",
        "thumbs",
        1.0,
        "from the browser",
    )


def test_langfuse_otel_js_sdk(server, tenant):
    ids = run_node_client("otel_tracing.mjs", server, tenant.project_key)
    trace = Trace.objects.get(project_id=tenant.project.id, id=ids["traceId"])
    assert (trace.name, trace.user_id, trace.session_id, trace.tags) == ("js-trace", "u-js", "s-js", ["js"])
    assert trace.environment == "js-env" and trace.observation_count == 2
    assert trace.input == {"q": "hi"} and trace.output == {"a": "hello"}  # the root span's
    assert trace.metadata["team"] == "web"
    for observation in Observation.objects.filter(project_id=tenant.project.id, trace_id=ids["traceId"]):
        assert observation.environment == "js-env"
        assert observation.metadata["scope"]["name"] == "langfuse-sdk"
    root = Observation.objects.get(project_id=tenant.project.id, id=ids["rootId"])
    assert (root.type, root.name, root.parent_observation_id) == ("SPAN", "js-root", None)
    assert root.input == {"q": "hi"} and root.output == {"a": "hello"}
    assert root.metadata.keys() == {"resourceAttributes", "scope"}  # trace metadata stays on the trace
    generation = Observation.objects.get(project_id=tenant.project.id, id=ids["generationId"])
    assert (generation.type, generation.name, generation.model) == ("GENERATION", "js-llm", "gpt-4o")
    assert generation.usage_details == {"input": 3, "output": 5, "total": 8}
    assert generation.parent_observation_id == ids["rootId"] and generation.end_time is not None
    assert generation.input == [{"role": "user", "content": "hi"}] and generation.output == "hello"
    # Metadata values go out one attribute per key: strings as they are, others JSON-encoded.
    assert generation.metadata.keys() == {"step", "attempt", "resourceAttributes", "scope"}
    assert (generation.metadata["step"], generation.metadata["attempt"]) == ("answer", 2)


def test_vercel_ai_sdk_through_langfuse_otel(server, tenant):
    """The AI SDK's own spans, as its telemetry emits them: the model call is the generation, with
    its usage less the cached and reasoning tokens; the outer call is a span that counts nothing."""
    assert run_node_client("vercel_ai.mjs", server, tenant.project_key) == {"text": "Tokyo"}
    observations = {o.name: o for o in Observation.objects.filter(project_id=tenant.project.id)}
    call = observations["capital-quiz:ai.generateText.doGenerate"]
    assert (call.type, call.model) == ("GENERATION", "gpt-4o")
    assert call.usage_details == {
        "input": 200,
        "output": 200,
        # The SDK puts no total on the model call's span: the sum of the keys, as Langfuse makes it.
        "total": 1304,
        "input_cached_tokens": 800,
        "output_reasoning_tokens": 100,
        "accepted_prediction_tokens": 4,
    }
    assert call.cost_status == "computed" and call.total_cost > 0
    assert call.output == "Tokyo"
    assert call.model_parameters["temperature"] == "0.3" and call.model_parameters["maxRetries"] == "1"
    outer = observations["capital-quiz:ai.generateText"]
    assert outer.type == "SPAN" and outer.usage_details == {} and outer.total_cost is None
    assert call.parent_observation_id == outer.id
    trace = Trace.objects.get(project_id=tenant.project.id, id=call.trace_id)
    assert (trace.user_id, trace.session_id, trace.tags) == ("u-ai", "s-ai", ["quiz"])
    assert trace.total_tokens == 1304 and trace.observation_count == 2  # the outer span adds nothing
