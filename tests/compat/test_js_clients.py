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
    generation = Observation.objects.get(project_id=tenant.project.id, id=ids["generationId"])
    assert generation.type == "GENERATION" and generation.model == "gpt-4o"
    assert generation.usage_details == {"input": 3, "output": 5, "total": 8}
    assert generation.parent_observation_id == ids["rootId"]
