"""The single-object routes of SDKs before the batch endpoint: POST/PATCH /spans, POST /events."""

from datetime import timedelta

import pytest

from apps.traces.models import Observation, Trace
from tests.ingestion.helpers import BASE, iso

pytestmark = pytest.mark.core


def _send(client, tenant, method: str, path: str, body):
    return getattr(client, method)(
        f"/api/public/{path}", body, content_type="application/json", HTTP_AUTHORIZATION=tenant.project_key.header
    )


def _stored(tenant, observation_id: str) -> Observation:
    return Observation.objects.get(project_id=tenant.project.id, id=observation_id)


def test_span_created_then_patched_by_span_id_is_one_merged_span(tenant, api_client):
    assert _send(api_client, tenant, "post", "traces", {"id": "lt", "name": "legacy"}).status_code == 200
    created = _send(
        api_client,
        tenant,
        "post",
        "spans",
        {
            "id": "ls",
            "traceId": "lt",
            "parentObservationId": "root",
            "name": "retrieve",
            "startTime": iso(1),
            "input": {"query": "q"},
            "metadata": {"step": 1},
            "version": "v1",
        },
    )
    assert created.status_code == 200 and created.json() == {"id": "ls"}
    patched = _send(
        api_client,
        tenant,
        "patch",
        "spans",
        {"spanId": "ls", "endTime": iso(3), "output": ["doc"], "metadata": {"hits": 2}, "level": "WARNING"},
    )
    assert patched.status_code == 200 and patched.json() == {"id": "ls"}

    assert Observation.objects.filter(project_id=tenant.project.id).count() == 1
    span = _stored(tenant, "ls")
    assert (span.type, span.name, span.trace_id, span.parent_observation_id) == ("SPAN", "retrieve", "lt", "root")
    assert (span.start_time, span.end_time) == (BASE + timedelta(seconds=1), BASE + timedelta(seconds=3))
    assert (span.input, span.output) == ({"query": "q"}, ["doc"])
    assert span.metadata == {"step": 1, "hits": 2}
    assert (span.level, span.version) == ("WARNING", "v1")
    trace = Trace.objects.get(project_id=tenant.project.id, id="lt")
    assert (trace.name, trace.observation_count) == ("legacy", 1)


def test_generation_route_takes_prompt_and_completion_as_input_and_output(tenant, api_client):
    """The SDKs of /generations sent the prompt and completion under those names (as Langfuse maps them)."""
    prompt = [{"role": "user", "content": "hi"}]
    body = {"id": "lg", "traceId": "lt", "model": "gpt-4o", "prompt": prompt, "usage": {"input": 3}}
    assert _send(api_client, tenant, "post", "generations", body).status_code == 200
    patch = {"generationId": "lg", "completion": "hello", "usage": {"input": 3, "output": 1}}
    assert _send(api_client, tenant, "patch", "generations", patch).status_code == 200
    generation = _stored(tenant, "lg")
    assert (generation.type, generation.input, generation.output) == ("GENERATION", prompt, "hello")


def test_event_route_stores_an_event_observation(tenant, api_client):
    body = {
        "id": "le",
        "traceId": "lt",
        "parentObservationId": "ls",
        "name": "cache-miss",
        "startTime": iso(2),
        "input": "key",
        "output": {"miss": True},
        "metadata": {"store": "redis"},
        "level": "DEBUG",
        "statusMessage": "cold",
    }
    response = _send(api_client, tenant, "post", "events", body)
    assert response.status_code == 200 and response.json() == {"id": "le"}
    stored = _stored(tenant, "le")
    assert (stored.type, stored.name, stored.trace_id, stored.parent_observation_id) == (
        "EVENT",
        "cache-miss",
        "lt",
        "ls",
    )
    assert stored.start_time == BASE + timedelta(seconds=2)
    assert (stored.input, stored.output, stored.metadata) == ("key", {"miss": True}, {"store": "redis"})
    assert (stored.level, stored.status_message) == ("DEBUG", "cold")
    # The trace it names exists without a trace-create, starting at its first observation.
    trace = Trace.objects.get(project_id=tenant.project.id, id="lt")
    assert (trace.timestamp, trace.observation_count) == (stored.start_time, 1)


@pytest.mark.parametrize(("path", "expected_type"), [("spans", "SPAN"), ("events", "EVENT")])
def test_an_observation_without_a_trace_gets_a_wrapper_trace_of_its_own_id(path, expected_type, tenant, api_client):
    response = _send(api_client, tenant, "post", path, {"id": "orphan", "name": "n", "startTime": iso(0)})
    assert response.status_code == 200
    stored = _stored(tenant, "orphan")
    assert (stored.type, stored.trace_id) == (expected_type, "orphan")
    assert Trace.objects.get(project_id=tenant.project.id, id="orphan").observation_count == 1


def test_a_body_without_an_id_gets_one_and_answers_it(tenant, api_client):
    response = _send(api_client, tenant, "post", "spans", {"traceId": "lt", "name": "anonymous"})
    assert response.status_code == 200
    assert _stored(tenant, response.json()["id"]).name == "anonymous"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("patch", "events", {"id": "le", "output": "x"}, 405),  # events have no update route
        ("post", "spans", [{"id": "ls"}], 400),
        ("post", "spans", {"id": "ls", "traceId": "lt", "level": "LOUD"}, 400),
        ("post", "events", {"id": "le", "traceId": "lt", "startTime": "yesterday"}, 400),
        ("patch", "spans", {"traceId": "lt", "output": "x"}, 400),  # an update without the id it updates
        ("patch", "generations", {"completion": "x"}, 400),
    ],
)
def test_unsupported_method_or_invalid_body_is_refused_and_stores_nothing(
    method, path, body, status, tenant, api_client
):
    response = _send(api_client, tenant, method, path, body)
    assert response.status_code == status, response.content
    assert response.json()["message"]
    assert not Observation.objects.filter(project_id=tenant.project.id).exists()
