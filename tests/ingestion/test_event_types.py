"""The observation type each /api/public/ingestion event type stores (Langfuse's §3.2 table)."""

import pytest

from apps.scores.models import Score
from apps.traces.models import Observation
from tests.ingestion.helpers import event, post_batch

pytestmark = pytest.mark.core

CREATE_TYPES = {
    "span-create": "SPAN",
    "generation-create": "GENERATION",
    "event-create": "EVENT",
    "agent-create": "AGENT",
    "tool-create": "TOOL",
    "chain-create": "CHAIN",
    "retriever-create": "RETRIEVER",
    "evaluator-create": "EVALUATOR",
    "embedding-create": "EMBEDDING",
    "guardrail-create": "GUARDRAIL",
}
# The types added after span/generation/event take every generation field.
GENERATION_LIKE = {"generation-create", *(t for t in CREATE_TYPES if CREATE_TYPES[t] not in ("SPAN", "EVENT"))}


def _post(tenant, api_client, events: list[dict]) -> dict:
    response = post_batch(api_client, tenant.project_key.header, events)
    assert response.status_code == 207, response.content
    return response.json()


@pytest.mark.parametrize(("event_type", "stored_type"), CREATE_TYPES.items())
def test_each_create_event_type_stores_its_observation_type(event_type, stored_type, tenant, api_client):
    body = {"id": "o1", "traceId": "t1", "name": event_type, "input": "in"}
    if event_type in GENERATION_LIKE:
        body.update(model="gpt-4o-mini", modelParameters={"temperature": 0}, usageDetails={"input": 4, "output": 2})
    result = _post(tenant, api_client, [event(event_type, body)])
    assert result["errors"] == [] and len(result["successes"]) == 1
    stored = Observation.objects.get(project_id=tenant.project.id, id="o1")
    assert (stored.type, stored.name, stored.trace_id, stored.input) == (stored_type, event_type, "t1", "in")
    if event_type in GENERATION_LIKE:
        assert (stored.model, stored.model_parameters) == ("gpt-4o-mini", {"temperature": 0})
        assert stored.usage_details == {"input": 4, "output": 2, "total": 6}


@pytest.mark.parametrize(
    ("events", "stored_type"),
    [
        ([("observation-create", {"type": "GENERATION", "model": "m"})], "GENERATION"),
        ([("observation-create", {"type": "SPAN"})], "SPAN"),
        ([("observation-create", {"type": "EVENT"})], "EVENT"),
        ([("observation-update", {"type": "EVENT", "output": "late"})], "EVENT"),
        (
            [("observation-create", {"type": "GENERATION"}), ("observation-update", {"type": "GENERATION"})],
            "GENERATION",
        ),
        ([("span-update", {"output": "x"})], "SPAN"),
        ([("generation-update", {"output": "x"})], "GENERATION"),
        # The type is the first event's: a later update of another kind does not change it.
        ([("generation-create", {}), ("span-update", {"output": "x"})], "GENERATION"),
        ([("tool-create", {}), ("observation-update", {"type": "SPAN", "output": "x"})], "TOOL"),
    ],
    ids=lambda value: "+".join(kind for kind, _ in value) if isinstance(value, list) else value,
)
def test_legacy_observation_events_and_updates_store_the_first_events_type(events, stored_type, tenant, api_client):
    batch = [event(kind, {"id": "o1", "traceId": "t1", **body}, at=index) for index, (kind, body) in enumerate(events)]
    assert _post(tenant, api_client, batch)["errors"] == []
    assert Observation.objects.get(project_id=tenant.project.id, id="o1").type == stored_type


@pytest.mark.parametrize(
    ("event_type", "body"),
    [
        ("observation-create", {"type": "TOOL"}),  # the legacy form knows SPAN, GENERATION, EVENT only
        ("agent-update", {}),  # the newer types have no -update variant
        ("dataset-run-item-create", {}),  # internal only
    ],
)
def test_an_unknown_observation_event_type_is_a_per_event_400(event_type, body, tenant, api_client):
    batch = [event(event_type, {"id": "o1", "traceId": "t1", **body}), event("span-create", {"id": "ok"})]
    result = _post(tenant, api_client, batch)
    assert [(e["id"], e["status"]) for e in result["errors"]] == [(batch[0]["id"], 400)]
    assert list(Observation.objects.filter(project_id=tenant.project.id).values_list("id", flat=True)) == ["ok"]


@pytest.mark.parametrize("event_type", ["span-create", "event-create", "span-update"])
def test_span_and_event_bodies_carry_no_generation_fields(event_type, tenant, api_client):
    """As Langfuse's span and event schemas: model, settings, usage, cost, completion start and
    prompt of a span or event are dropped (not priced, not tokenized); a prompt name without its
    version is then no error either. The legacy observation events keep them."""
    generation_fields = {
        "model": "gpt-4o",
        "modelParameters": {"temperature": 0},
        "usageDetails": {"input": 4},
        "costDetails": {"total": 1.5},
        "completionStartTime": "2026-11-28T12:00:00.500Z",
        "promptName": "p",
    }
    events = [event(event_type, {"id": "o1", "traceId": "t1", "input": "in", **generation_fields})]
    events.append(event("observation-create", {"id": "o2", "traceId": "t1", "type": "SPAN", "model": "gpt-4o"}))
    result = _post(tenant, api_client, events)
    assert result["errors"] == [] and len(result["successes"]) == 2
    stored = Observation.objects.get(project_id=tenant.project.id, id="o1")
    assert (stored.model, stored.model_parameters, stored.prompt_name, stored.completion_start_time) == (
        None,
        None,
        None,
        None,
    )
    assert (stored.provided_usage_details, stored.provided_cost_details, stored.total_cost) == ({}, {}, None)
    assert stored.input == "in"
    assert Observation.objects.get(project_id=tenant.project.id, id="o2").model == "gpt-4o"


def test_tool_definitions_in_a_generations_metadata_join_its_input(tenant, api_client):
    """As Langfuse merges an observation: `metadata.tools` moves into the input, also when the
    input and the tools come in different events."""
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {}}}]
    messages = [{"role": "user", "content": "weather in Tokyo?"}]
    events = [
        event("generation-create", {"id": "g1", "traceId": "t1", "metadata": {"tools": tools, "team": "web"}}),
        event("generation-update", {"id": "g1", "input": messages}, at=1),
    ]
    result = _post(tenant, api_client, events)
    assert result["errors"] == []
    stored = Observation.objects.get(project_id=tenant.project.id, id="g1")
    assert stored.input == {"messages": messages, "tools": tools}
    assert stored.metadata == {"team": "web"}


def test_empty_ids_and_prompt_names_mean_none(tenant, api_client):
    """Clients send "" for "none": a generation with an empty parent and prompt name, and a score
    with an empty trace id beside its session id, are stored, not refused."""
    events = [
        event("generation-create", {"id": "g2", "traceId": "t2", "parentObservationId": "", "promptName": ""}),
        event("score-create", {"id": "s2", "name": "quality", "value": 1, "traceId": "", "sessionId": "sess"}),
    ]
    result = _post(tenant, api_client, events)
    assert result["errors"] == [] and len(result["successes"]) == 2
    stored = Observation.objects.get(project_id=tenant.project.id, id="g2")
    assert (stored.parent_observation_id, stored.prompt_name) == (None, None)
    score = Score.objects.get(project_id=tenant.project.id, id="s2")
    assert (score.trace_id, score.session_id) == (None, "sess")
