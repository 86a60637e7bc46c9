"""Langfuse's merge rules, including events for one id arriving out of order across requests."""

import itertools

import pytest

from apps.traces.models import Observation, Trace
from tests.ingestion.helpers import event, iso, post_batch

pytestmark = pytest.mark.core


def _trace(tenant, trace_id="t1"):
    return Trace.objects.get(project_id=tenant.project.id, id=trace_id)


def _obs(tenant, obs_id):
    return Observation.objects.get(project_id=tenant.project.id, id=obs_id)


TRACE_EVENTS = [
    event(
        "trace-create",
        {
            "id": "t1",
            "name": "first",
            "timestamp": iso(0),
            "tags": ["a"],
            "input": {"q": 1},
            "metadata": {"app": {"id": 1, "tier": "free"}, "keep": True},
            "sessionId": "s1",
        },
        at=0,
    ),
    event(
        "trace-create",
        {
            "id": "t1",
            "name": "second",
            "timestamp": iso(50),
            "tags": ["b"],
            "output": "answer",
            "metadata": {"app": {"version": 2, "tier": "pro"}},
            "sessionId": None,
            "userId": "u1",
        },
        at=5,
    ),
    event(
        "trace-create",
        {"id": "t1", "input": "", "tags": ["a", "c"], "release": "r1", "environment": "Langfuse-Production"},
        at=9,
    ),
]


def _snapshot(trace):
    return (
        trace.name,
        trace.timestamp,
        trace.tags,
        trace.metadata,
        trace.input,
        trace.output,
        trace.session_id,
        trace.user_id,
        trace.release,
        trace.environment,
    )


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_trace_merge_is_independent_of_arrival_order(order, tenant, api_client):
    for index in order:  # one request per event, in this order
        post_batch(api_client, tenant.project_key.header, [TRACE_EVENTS[index]])
    trace = _trace(tenant)
    assert trace.name == "second"  # the later event wins
    assert trace.timestamp.isoformat().startswith("2026-11-28T12:00:00")  # first-seen immutable
    assert trace.tags == ["a", "b", "c"]  # union
    # Deep merge: keys accumulate, and where two events set one nested key the later one wins.
    assert trace.metadata == {"app": {"id": 1, "tier": "pro", "version": 2}, "keep": True}
    assert trace.input == {"q": 1}  # an empty value never clears
    assert trace.output == "answer"
    assert trace.session_id == "s1"  # explicit null means "not provided"
    assert trace.user_id == "u1" and trace.release == "r1"
    # Immutable, and a defaulted value never locks it: the earliest *explicit* environment wins.
    assert trace.environment == "production"


def test_all_orders_give_identical_rows(tenant, other_tenant, api_client):
    post_batch(api_client, tenant.project_key.header, TRACE_EVENTS)
    for e in reversed(TRACE_EVENTS):
        post_batch(api_client, other_tenant.project_key.header, [e])
    assert _snapshot(_trace(tenant)) == _snapshot(Trace.objects.get(project_id=other_tenant.project.id, id="t1"))


def test_update_before_create_and_ties(tenant, api_client):
    create = event(
        "generation-create",
        {"id": "g", "traceId": "t", "name": "create", "startTime": iso(1), "usageDetails": {"input": 10}},
        at=3,
    )
    update = event(
        "generation-update",
        {"id": "g", "name": "update", "endTime": iso(4), "usageDetails": {"output": 20}, "costDetails": {"total": 0.5}},
        at=3,
    )
    post_batch(api_client, tenant.project_key.header, [update])
    post_batch(api_client, tenant.project_key.header, [create])
    generation = _obs(tenant, "g")
    assert generation.name == "update"  # same timestamp: create sorts before update
    assert generation.type == "GENERATION" and generation.trace_id == "t"
    assert generation.start_time.isoformat().startswith("2026-11-28T12:00:01")
    assert generation.usage_details == {"input": 10, "output": 20, "total": 30}
    assert generation.total_cost == pytest.approx(0.5)


def test_merge_state_is_stored_by_key_and_the_first_stored_form_still_merges(tenant, api_client):
    header = tenant.project_key.header
    post_batch(api_client, header, [event("trace-create", {"id": "packed", "name": "a", "userId": "u"}, at=10)])
    stored = _trace(tenant, "packed").merge_state
    # One key per event (its weak defaults under "~" + key), each listing the fields it set.
    assert sorted(map(sorted, stored.values())) == [["environment", "timestamp"], ["name", "user_id"]]
    # A row written before the packed form: field -> key. Its registers must still decide merges.
    old_form = {name: key for key, names in stored.items() for name in names}
    Trace.objects.filter(project_id=tenant.project.id, id="packed").update(merge_state=old_form)
    batch = [
        event("trace-create", {"id": "packed", "name": "older"}, at=5),  # loses: name was set at 10
        event("trace-create", {"id": "packed", "userId": "newer"}, at=20),
    ]
    post_batch(api_client, header, batch)
    trace = _trace(tenant, "packed")
    assert (trace.name, trace.user_id) == ("a", "newer")
    assert all(isinstance(names, list) for names in trace.merge_state.values())  # rewritten packed


def test_observation_for_an_unknown_trace_creates_it(tenant, api_client):
    post_batch(
        api_client,
        tenant.project_key.header,
        [event("span-create", {"id": "orphan", "traceId": "never-created", "startTime": iso(7)})],
    )
    trace = _trace(tenant, "never-created")
    assert trace.timestamp.isoformat().startswith("2026-11-28T12:00:07")
    assert trace.observation_count == 1
    # The real trace-create arriving later sets its own timestamp: an explicit value beats the implied one.
    post_batch(
        api_client,
        tenant.project_key.header,
        [event("trace-create", {"id": "never-created", "name": "late", "timestamp": iso(30)}, at=40)],
    )
    trace = _trace(tenant, "never-created")
    assert trace.name == "late" and trace.timestamp.isoformat().startswith("2026-11-28T12:00:30")


def test_an_implied_trace_takes_the_earliest_observation_and_yields_to_explicit_values(tenant, api_client):
    header = tenant.project_key.header
    spans = [
        event("span-create", {"id": f"s{n}", "traceId": "implied", "startTime": iso(at), "environment": env})
        for n, (at, env) in enumerate([(9, "late"), (3, "early"), (5, "middle")])
    ]
    post_batch(api_client, header, spans)
    trace = _trace(tenant, "implied")
    assert (trace.timestamp.second, trace.environment) == (3, "early")
    post_batch(api_client, header, [event("span-create", {"id": "s3", "traceId": "implied", "startTime": iso(1)})])
    trace = _trace(tenant, "implied")
    assert (trace.timestamp.second, trace.environment) == (1, "default")  # an earlier one, in a later batch
    # A trace-create without a timestamp or environment sets neither explicitly: the spans still decide.
    batch = [
        event("trace-create", {"id": "mixed", "name": "m"}, at=30),
        event("span-create", {"id": "m1", "traceId": "mixed", "startTime": iso(4), "environment": "prod"}),
    ]
    post_batch(api_client, header, batch)
    trace = _trace(tenant, "mixed")
    assert (trace.name, trace.timestamp.second, trace.environment) == ("m", 4, "prod")
    # Explicit values in the same batch win over every observation.
    batch = [
        event("span-create", {"id": "e1", "traceId": "explicit", "startTime": iso(2), "environment": "prod"}),
        event("trace-create", {"id": "explicit", "timestamp": iso(20), "environment": "dev"}, at=20),
    ]
    post_batch(api_client, header, batch)
    trace = _trace(tenant, "explicit")
    assert (trace.timestamp.second, trace.environment) == (20, "dev")


def test_observation_without_trace_gets_a_wrapper_trace(tenant, api_client):
    post_batch(api_client, tenant.project_key.header, [event("span-create", {"id": "solo", "name": "x"})])
    assert _obs(tenant, "solo").trace_id == "solo"
    assert _trace(tenant, "solo").observation_count == 1


def test_end_before_start_is_clamped(tenant, api_client):
    post_batch(
        api_client,
        tenant.project_key.header,
        [event("span-create", {"id": "s", "traceId": "t", "startTime": iso(10), "endTime": iso(5)})],
    )
    span = _obs(tenant, "s")
    assert span.end_time == span.start_time


def test_trace_aggregates(tenant, api_client):
    events = [
        event(
            "generation-create",
            {
                "id": "g1",
                "traceId": "t",
                "startTime": iso(0),
                "endTime": iso(2),
                "usageDetails": {"input": 100, "output": 20},
                "costDetails": {"input": 0.1, "output": 0.2},
            },
        ),
        event(
            "generation-create",
            {
                "id": "g2",
                "traceId": "t",
                "startTime": iso(1),
                "endTime": iso(5),
                "level": "ERROR",
                "statusMessage": "boom",
                "usage": {"input": 1, "output": 2, "totalCost": 0.05},
            },
        ),
        event("span-create", {"id": "s1", "traceId": "t", "startTime": iso(0.5), "level": "WARNING"}),
    ]
    post_batch(api_client, tenant.project_key.header, events)
    trace = _trace(tenant, "t")
    assert trace.observation_count == 3 and trace.error_count == 1 and trace.level_max == 3
    assert float(trace.total_cost) == pytest.approx(0.35)
    assert (trace.input_tokens, trace.output_tokens, trace.total_tokens) == (101, 22, 123)
    assert (trace.end_time_max - trace.start_time_min).total_seconds() == 5


def test_an_observation_moved_by_an_earlier_event_leaves_both_traces_aggregates_right(tenant, api_client):
    """trace_id is first-writer-wins: a late-arriving earlier event moves the span to another trace."""
    header = tenant.project_key.header
    post_batch(api_client, header, [event("span-create", {"id": "s", "traceId": "late", "level": "ERROR"}, at=10)])
    assert _trace(tenant, "late").observation_count == 1
    post_batch(api_client, header, [event("span-create", {"id": "s", "traceId": "early"}, at=0)])
    assert _obs(tenant, "s").trace_id == "early"
    late, early = _trace(tenant, "late"), _trace(tenant, "early")
    assert (late.observation_count, late.error_count, early.observation_count, early.error_count) == (0, 0, 1, 1)


def test_a_write_of_new_traces_recomputes_no_aggregates(tenant, api_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    batch = [event("span-create", {"id": f"s{n}", "traceId": f"t{n % 3}"}) for n in range(9)]
    with CaptureQueriesContext(connection) as queries:
        post_batch(api_client, tenant.project_key.header, batch)
    assert not [q for q in queries.captured_queries if "observation_count = a.n" in q["sql"]]
    assert [_trace(tenant, f"t{n}").observation_count for n in range(3)] == [3, 3, 3]
    post_batch(api_client, tenant.project_key.header, [event("span-create", {"id": "s9", "traceId": "t0"})])
    assert _trace(tenant, "t0").observation_count == 4


def test_openai_usage_details_are_normalised(tenant, api_client):
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 50,
        "total_tokens": 150,
        "prompt_tokens_details": {"cached_tokens": 30},
        "completion_tokens_details": {"reasoning_tokens": 10},
    }
    post_batch(
        api_client,
        tenant.project_key.header,
        [event("generation-create", {"id": "g", "traceId": "t", "usageDetails": usage})],
    )
    assert _obs(tenant, "g").usage_details == {
        "input": 70,
        "input_cached_tokens": 30,
        "output": 40,
        "output_reasoning_tokens": 10,
        "total": 150,
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Production", "production"),
        ("langfuse-prod", "prod"),
        ("LANGFUSE_langfuse-x", "x"),
        ("has space", "default"),
        ("", "default"),
        ("a" * 50, "a" * 40),
    ],
)
def test_environment_is_normalised(raw, expected, tenant, api_client):
    post_batch(api_client, tenant.project_key.header, [event("trace-create", {"id": "e", "environment": raw})])
    assert _trace(tenant, "e").environment == expected


def test_ids_with_any_character_merge_into_their_row(tenant, api_client):
    odd = 'a,b {c} "d" \\e\tf\ng ナ 🙂'
    post_batch(api_client, tenant.project_key.header, [event("trace-create", {"id": odd, "name": "first"}, at=0)])
    batch = [
        event("trace-create", {"id": odd, "userId": "u"}, at=5),
        event("span-create", {"id": odd, "traceId": odd, "name": "s"}, at=5),
    ]
    post_batch(api_client, tenant.project_key.header, batch)
    post_batch(
        api_client,
        tenant.project_key.header,
        [event("span-update", {"id": odd, "traceId": odd, "level": "ERROR"}, at=6)],
    )
    trace = _trace(tenant, odd)
    assert (trace.name, trace.user_id, trace.observation_count, trace.error_count) == ("first", "u", 1, 1)
    assert Trace.objects.filter(project_id=tenant.project.id).count() == 1


def test_an_update_without_trace_id_keeps_its_stored_trace(tenant, api_client):
    header = tenant.project_key.header
    post_batch(api_client, header, [event("span-create", {"id": "s", "traceId": "T", "startTime": iso(0)}, at=0)])
    response = post_batch(api_client, header, [event("span-update", {"id": "s", "endTime": iso(4)}, at=5)])
    assert response.json()["errors"] == []
    assert _obs(tenant, "s").trace_id == "T"
    assert (_trace(tenant, "T").observation_count, _trace(tenant, "T").end_time_max.second) == (1, 4)
    assert not Trace.objects.filter(project_id=tenant.project.id, id="s").exists()
