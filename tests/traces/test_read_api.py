"""The public read API for traces, observations and sessions: filters, shapes, deletion, isolation."""

import pytest

from apps.audit.models import AuditEntry
from apps.traces.models import Observation, Trace
from tests.ingestion.helpers import event, iso, post_batch

pytestmark = pytest.mark.core


@pytest.fixture
def data(tenant, api_client):
    post_batch(
        api_client,
        tenant.project_key.header,
        [
            event(
                "trace-create",
                {
                    "id": "t1",
                    "name": "chat",
                    "userId": "u1",
                    "sessionId": "s1",
                    "tags": ["a", "b"],
                    "timestamp": iso(0),
                    "release": "r1",
                    "environment": "prod",
                },
            ),
            event(
                "trace-create",
                {"id": "t2", "name": "chat", "userId": "u2", "tags": ["a", "日本語"], "timestamp": iso(10)},
            ),
            event("trace-create", {"id": "t3", "name": "other", "userId": "u1", "tags": ["b"], "timestamp": iso(20)}),
            event(
                "generation-create",
                {
                    "id": "g1",
                    "traceId": "t1",
                    "model": "gpt-4o",
                    "startTime": iso(1),
                    "endTime": iso(3),
                    "usageDetails": {"input": 100, "output": 10},
                },
            ),
            event(
                "span-create",
                {
                    "id": "s1",
                    "traceId": "t1",
                    "startTime": iso(0),
                    "endTime": iso(4),
                    "level": "ERROR",
                    "statusMessage": "boom",
                },
            ),
            event("score-create", {"id": "sc1", "traceId": "t1", "name": "quality", "value": 0.5}),
            event("score-create", {"id": "sc2", "traceId": "t1", "name": "label", "value": "good"}),
        ],
    )
    return tenant


def _get(api_client, tenant, path, **params):
    return api_client.get(f"/api/public{path}", params, HTTP_AUTHORIZATION=tenant.project_key.header)


def test_trace_list_filters(data, api_client):
    ids = lambda **p: [t["id"] for t in _get(api_client, data, "/traces", **p).json()["data"]]  # noqa: E731
    assert ids() == ["t3", "t2", "t1"]
    assert ids(userId="u1") == ["t3", "t1"]
    assert ids(tags=["a", "b"]) == ["t1"]
    assert ids(tags="日本語") == ["t2"]
    assert ids(name="chat", orderBy="timestamp.asc") == ["t1", "t2"]
    assert ids(sessionId="s1") == ["t1"] and ids(release="r1") == ["t1"] and ids(environment="prod") == ["t1"]
    assert ids(fromTimestamp=iso(5), toTimestamp=iso(20)) == ["t2"]
    page = _get(api_client, data, "/traces", limit=2, page=2).json()
    assert [t["id"] for t in page["data"]] == ["t1"]
    assert page["meta"] == {"page": 2, "limit": 2, "totalItems": 3, "totalPages": 2}


def test_trace_list_item_shape(data, api_client):
    t1 = next(t for t in _get(api_client, data, "/traces").json()["data"] if t["id"] == "t1")
    assert t1["observations"] == ["s1", "g1"] and sorted(t1["scores"]) == ["sc1", "sc2"]
    assert t1["latency"] == 4.0 and t1["htmlPath"] == f"/project/{data.project.id}/traces/t1"
    assert t1["timestamp"].endswith("Z") and t1["public"] is False


@pytest.mark.parametrize("params", [{"limit": 101}, {"page": 0}, {"orderBy": "input.desc"}, {"orderBy": "name"}])
def test_bad_list_parameters_are_400(params, data, api_client):
    assert _get(api_client, data, "/traces", **params).status_code == 400


def test_trace_detail(data, api_client):
    trace = _get(api_client, data, "/traces/t1").json()
    by_id = {o["id"]: o for o in trace["observations"]}
    assert by_id["g1"]["type"] == "GENERATION" and by_id["g1"]["usage"]["input"] == 100
    assert by_id["g1"]["calculatedTotalCost"] == pytest.approx(0.00035) and by_id["g1"]["inputPrice"] == 2.5e-6
    assert by_id["g1"]["latency"] == 2.0 and by_id["s1"]["statusMessage"] == "boom"
    scores = {s["name"]: s for s in trace["scores"]}
    assert scores["quality"]["dataType"] == "NUMERIC" and scores["quality"].get("stringValue") is None
    assert scores["label"] == {**scores["label"], "dataType": "CATEGORICAL", "value": 0.0, "stringValue": "good"}
    assert _get(api_client, data, "/traces/missing").status_code == 404


def test_observations_and_sessions(data, api_client):
    listed = _get(api_client, data, "/observations", traceId="t1").json()
    assert {o["id"] for o in listed["data"]} == {"g1", "s1"}
    assert [o["id"] for o in _get(api_client, data, "/observations", userId="u1", level="ERROR").json()["data"]] == [
        "s1"
    ]
    assert _get(api_client, data, "/observations/g1").json()["model"] == "gpt-4o"
    sessions = _get(api_client, data, "/sessions").json()
    assert [s["id"] for s in sessions["data"]] == ["s1"]
    assert [t["id"] for t in _get(api_client, data, "/sessions/s1").json()["traces"]] == ["t1"]


def test_delete_traces(data, api_client):
    header = data.project_key.header
    assert api_client.delete("/api/public/traces/t1", HTTP_AUTHORIZATION=header).json() == {
        "message": "Trace deleted successfully"
    }
    assert not Trace.objects.filter(project_id=data.project.id, id="t1").exists()
    assert not Observation.objects.filter(project_id=data.project.id, trace_id="t1").exists()
    response = api_client.delete(
        "/api/public/traces",
        {"traceIds": ["t2", "t3", "nope"]},
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )
    assert response.json() == {"message": "Traces deleted successfully"}
    assert not Trace.objects.filter(project_id=data.project.id).exists()
    assert AuditEntry.objects.filter(action="trace.delete").count() == 2
    assert api_client.delete("/api/public/traces/t1", HTTP_AUTHORIZATION=header).status_code == 404


def test_reads_are_isolated_per_project(data, other_tenant, api_client):
    assert _get(api_client, other_tenant, "/traces").json()["data"] == []
    assert _get(api_client, other_tenant, "/traces/t1").status_code == 404
    assert _get(api_client, other_tenant, "/observations/g1").status_code == 404
    assert _get(api_client, other_tenant, "/sessions/s1").status_code == 404
    response = api_client.delete("/api/public/traces/t1", HTTP_AUTHORIZATION=other_tenant.project_key.header)
    assert response.status_code == 404
    assert Trace.objects.filter(project_id=data.project.id, id="t1").exists()


def _filter(api_client, tenant, path, conditions):
    import json

    return _get(api_client, tenant, path, filter=json.dumps(conditions))


def test_json_filter_grammar_on_traces(data, api_client, tenant):
    from tests.ingestion.helpers import event as make_event

    post_batch(
        api_client,
        tenant.project_key.header,
        [
            make_event("trace-create", {"id": "t1", "metadata": {"tier": "gold", "score": 7}}),
            make_event("trace-create", {"id": "t2", "metadata": {"tier": "silver", "score": 3}}),
        ],
    )
    ids = lambda c: [t["id"] for t in _filter(api_client, tenant, "/traces", c).json()["data"]]  # noqa: E731
    assert ids([{"type": "string", "column": "userId", "operator": "=", "value": "u1"}]) == ["t3", "t1"]
    assert ids([{"type": "stringOptions", "column": "name", "operator": "none of", "value": ["chat"]}]) == ["t3"]
    assert ids([{"type": "arrayOptions", "column": "tags", "operator": "all of", "value": ["a", "b"]}]) == ["t1"]
    assert ids([{"type": "arrayOptions", "column": "tags", "operator": "any of", "value": ["日本語", "b"]}]) == [
        "t3",
        "t2",
        "t1",
    ]
    assert ids([{"type": "arrayOptions", "column": "tags", "operator": "none of", "value": ["a"]}]) == ["t3"]
    assert ids([{"type": "datetime", "column": "timestamp", "operator": ">=", "value": iso(10)}]) == ["t3", "t2"]
    assert ids([{"type": "stringObject", "column": "metadata", "key": "tier", "operator": "=", "value": "gold"}]) == [
        "t1"
    ]
    assert ids([{"type": "numberObject", "column": "metadata", "key": "score", "operator": ">", "value": 5}]) == ["t1"]
    assert ids([{"type": "null", "column": "sessionId", "operator": "is not null", "value": ""}]) == ["t1"]
    assert ids(
        [
            {"type": "number", "column": "totalTokens", "operator": ">", "value": 0},
            {"type": "string", "column": "name", "operator": "starts with", "value": "ch"},
        ]
    ) == ["t1"]


@pytest.mark.parametrize(
    "conditions",
    [
        "not json",
        {"not": "a list"},
        [{"type": "string", "column": "input", "operator": "=", "value": "x"}],
        [{"type": "number", "column": "userId", "operator": "=", "value": 1}],
        [{"type": "string", "column": "name", "operator": "~", "value": "x"}],
        [{"type": "stringObject", "column": "metadata", "operator": "=", "value": "x"}],
    ],
)
def test_bad_filters_are_400(conditions, data, api_client):
    import json

    text = conditions if isinstance(conditions, str) else json.dumps(conditions)
    response = _get(api_client, data, "/traces", filter=text)
    assert response.status_code == 400 and response.json()["message"]


def test_json_filter_on_observations(data, api_client):
    conditions = [{"type": "stringOptions", "column": "level", "operator": "any of", "value": ["ERROR"]}]
    assert [o["id"] for o in _filter(api_client, data, "/observations", conditions).json()["data"]] == ["s1"]
    assert [o["id"] for o in _filter(api_client, data, "/v2/observations", conditions).json()["data"]] == ["s1"]


def test_trace_list_field_groups(data, api_client):
    t1 = next(t for t in _get(api_client, data, "/traces", fields="core").json()["data"] if t["id"] == "t1")
    assert t1["observations"] == [] and t1["scores"] == [] and t1["latency"] == -1 and t1["input"] is None
    t1 = next(
        t
        for t in _get(api_client, data, "/traces", fields="core,observations,metrics").json()["data"]
        if t["id"] == "t1"
    )
    assert t1["observations"] == ["s1", "g1"] and t1["latency"] == 4.0 and t1["scores"] == []
    assert _get(api_client, data, "/traces", fields="core,nope").status_code == 400


def test_daily_metrics(data, api_client, tenant):
    post_batch(
        api_client,
        tenant.project_key.header,
        [
            event("trace-create", {"id": "d2", "name": "chat", "userId": "u1", "timestamp": "2026-11-29T08:00:00Z"}),
            event(
                "generation-create",
                {
                    "id": "g2",
                    "traceId": "d2",
                    "model": "gpt-4o",
                    "startTime": "2026-11-29T08:00:01Z",
                    "usageDetails": {"input": 1000, "output": 100},
                },
            ),
        ],
    )
    body = _get(api_client, tenant, "/metrics/daily").json()
    assert [d["date"] for d in body["data"]] == ["2026-11-29", "2026-11-28"]
    day2, day1 = body["data"]
    assert (day2["countTraces"], day2["countObservations"]) == (1, 1)
    assert day2["usage"] == [
        {
            "model": "gpt-4o",
            "inputUsage": 1000,
            "outputUsage": 100,
            "totalUsage": 1100,
            "countObservations": 1,
            "countTraces": 1,
            "totalCost": pytest.approx(0.0035),
        }
    ]
    assert day1["countTraces"] == 3 and day1["usage"][0]["inputUsage"] == 100
    only_u2 = _get(api_client, tenant, "/metrics/daily", userId="u2").json()["data"]
    assert [(d["date"], d["countTraces"]) for d in only_u2] == [("2026-11-28", 1)]
    assert body["meta"] == {"page": 1, "limit": 50, "totalItems": 2, "totalPages": 1}


def test_cost_status_tells_price_unknown_from_zero(data, api_client, tenant):
    post_batch(
        api_client,
        tenant.project_key.header,
        [
            event(
                "generation-create",
                {"id": "priv", "traceId": "t1", "model": "private-llm", "usageDetails": {"input": 5}},
            )
        ],
    )
    assert _get(api_client, tenant, "/observations/priv").json()["costStatus"] == "unknown"
    assert _get(api_client, tenant, "/observations/g1").json()["costStatus"] == "computed"


def test_times_always_carry_milliseconds_and_a_four_digit_year(tenant, api_client):
    """Langfuse answers JavaScript's Date#toJSON: SDK 5 refuses a year like "1-01-01", and clients
    parse ".000Z" and "Z" differently (sorting them as strings puts them out of order)."""
    post_batch(
        api_client,
        tenant.project_key.header,
        [
            event("trace-create", {"id": "whole", "timestamp": "2026-11-29T00:00:00Z"}),
            event("span-create", {"id": "early", "traceId": "whole", "startTime": "0001-01-01T00:00:00Z"}),
        ],
    )
    trace = _get(api_client, tenant, "/traces/whole").json()
    assert trace["timestamp"] == "2026-11-29T00:00:00.000Z"
    assert trace["observations"][0]["startTime"] == "0001-01-01T00:00:00.000Z"
    listed = _get(api_client, tenant, "/v2/observations").json()["data"]
    assert [o["startTime"] for o in listed] == ["0001-01-01T00:00:00.000Z"]
