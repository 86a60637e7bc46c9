"""GET /v2/scores, GET /v2/scores/{id}, the SDK 2.x GET /scores/{id}: filters, shapes, pagination, isolation."""

import json

import pytest

from tests.ingestion.helpers import event, iso
from tests.ingestion.helpers import store as store_events
from tests.scores.helpers import get, score, seed

pytestmark = pytest.mark.core

ALL = ["sc6", "sc5", "sc4", "sc3", "sc2", "sc1"]


@pytest.fixture
def data(tenant, other_tenant):
    seed(tenant.project.id)
    # Project B: the same trace and score ids, the same user; none of it may leak into A.
    store_events(
        other_tenant.project.id,
        [
            event("trace-create", {"id": "t1", "userId": "u1", "tags": ["a", "b"]}),
            score("sc1", 5, traceId="t1", name="quality", value=0.1, metadata={"user_id": "abc123"}),
            score("scb", 5, traceId="t1", name="quality", value=0.5),
        ],
    )
    return tenant


def _ids(api_client, tenant, **params):
    response = get(api_client, tenant.project_key, "/v2/scores", **params)
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()["data"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ALL),
        ({"userId": "u1"}, ["sc2", "sc1"]),
        ({"name": "quality"}, ["sc4", "sc1"]),
        ({"fromTimestamp": iso(20)}, ["sc6", "sc5", "sc4", "sc3"]),
        ({"toTimestamp": iso(20)}, ["sc2", "sc1"]),
        ({"fromTimestamp": iso(10), "toTimestamp": iso(30)}, ["sc3", "sc2"]),
        ({"environment": "prod"}, ["sc1"]),
        ({"environment": ["prod", "staging"]}, ["sc4", "sc1"]),
        ({"source": "EVAL"}, ["sc2"]),
        ({"source": "ANNOTATION"}, ["sc3"]),
        ({"operator": ">", "value": 0.5}, ["sc3", "sc1"]),
        ({"operator": ">=", "value": 0.9}, ["sc3", "sc1"]),
        ({"operator": "<", "value": 0.9}, ["sc4"]),
        ({"operator": "<=", "value": 0.2}, ["sc4"]),
        ({"operator": "=", "value": 1}, ["sc3"]),
        ({"operator": "!=", "value": 1}, ["sc4", "sc1"]),  # scores without a number never compare
        ({"scoreIds": "sc1, sc5,nope"}, ["sc5", "sc1"]),
        ({"configId": "cfg2"}, ["sc3"]),
        ({"sessionId": "s9"}, ["sc4"]),
        ({"datasetRunId": "run1"}, ["sc5"]),
        ({"traceId": "t2"}, ["sc6", "sc3"]),
        ({"observationId": "o1,o2"}, ["sc6", "sc2"]),
        ({"queueId": "q1"}, ["sc3"]),
        ({"dataType": "CATEGORICAL"}, ["sc2"]),
        ({"dataType": "CORRECTION"}, ["sc6"]),
        ({"traceTags": "a"}, ["sc6", "sc3", "sc2", "sc1"]),
        ({"traceTags": ["a", "b"]}, ["sc2", "sc1"]),  # all of them
        ({"userId": "u2", "traceTags": "b"}, []),
        ({"name": "quality", "environment": "prod"}, ["sc1"]),
        ({"fields": "score,trace", "userId": "u1"}, ["sc2", "sc1"]),
    ],
)
def test_filters(data, api_client, params, expected):
    assert _ids(api_client, data, **params) == expected


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        (
            [{"type": "stringObject", "column": "metadata", "key": "user_id", "operator": "=", "value": "abc123"}],
            ["sc1"],
        ),
        (
            [{"type": "stringObject", "column": "metadata", "key": "user_id", "operator": "contains", "value": "y"}],
            ["sc2"],
        ),
        (
            [
                {
                    "type": "stringObject",
                    "column": "metadata",
                    "key": "user_id",
                    "operator": "does not contain",
                    "value": "y",
                }
            ],
            ["sc1"],
        ),
        (
            [
                {
                    "type": "stringObject",
                    "column": "metadata",
                    "key": "user_id",
                    "operator": "starts with",
                    "value": "abc",
                }
            ],
            ["sc1"],
        ),
        (
            [{"type": "stringObject", "column": "metadata", "key": "team", "operator": "ends with", "value": "rch"}],
            ["sc1"],
        ),
        (
            [{"type": "stringObject", "column": "metadata", "key": "user_id", "operator": "is set", "value": ""}],
            ["sc2", "sc1"],
        ),
        ([{"type": "stringObject", "column": "metadata", "key": "team", "operator": "contains", "value": ""}], ["sc1"]),
        (
            [{"type": "stringObject", "column": "metadata", "key": "user_id", "operator": "is not set", "value": ""}],
            ["sc6", "sc5", "sc4", "sc3"],
        ),
        ([{"type": "string", "column": "name", "operator": "starts with", "value": "qual"}], ["sc4", "sc1"]),
        ([{"type": "number", "column": "value", "operator": ">", "value": 0.5}], ["sc3", "sc1"]),
        ([{"type": "datetime", "column": "timestamp", "operator": ">=", "value": iso(40)}], ["sc6", "sc5"]),
        (
            [{"type": "stringOptions", "column": "dataType", "operator": "any of", "value": ["TEXT", "BOOLEAN"]}],
            ["sc5", "sc3"],
        ),
        ([{"type": "stringOptions", "column": "source", "operator": "none of", "value": ["API"]}], ["sc3", "sc2"]),
        ([{"type": "null", "column": "traceId", "operator": "is null", "value": ""}], ["sc5", "sc4"]),
        (
            [
                {"type": "string", "column": "name", "operator": "=", "value": "quality"},
                {"type": "stringObject", "column": "metadata", "key": "team", "operator": "=", "value": "search"},
            ],
            ["sc1"],
        ),
    ],
)
def test_json_filter(data, api_client, conditions, expected):
    assert _ids(api_client, data, filter=json.dumps(conditions)) == expected


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"page": 0}, "page"),
        ({"operator": "~", "value": 1}, "operator"),
        ({"operator": ">"}, "operator and value"),
        ({"value": 1}, "operator and value"),
        ({"operator": ">", "value": "nan"}, "finite"),
        ({"value": "high", "operator": ">"}, "value"),
        ({"source": "HUMAN"}, "source"),
        ({"dataType": "FLOAT"}, "dataType"),
        ({"fromTimestamp": "yesterday"}, "fromTimestamp"),
        ({"fields": "score,io"}, "io"),
        ({"fields": "score", "userId": "u1"}, "trace"),
        ({"fields": "score", "traceTags": "a"}, "trace"),
        ({"filter": "not json"}, "JSON"),
        ({"filter": '{"type": "string"}'}, "array"),
        ({"filter": '[{"type": "string", "column": "nope", "operator": "=", "value": "x"}]'}, "nope"),
        (
            {"filter": '[{"type": "arrayOptions", "column": "name", "operator": "any of", "value": ["x"]}]'},
            "arrayOptions",
        ),
        ({"filter": '[{"type": "stringObject", "column": "metadata", "operator": "=", "value": "x"}]'}, "key"),
        (
            {"filter": '[{"type": "stringObject", "column": "metadata", "key": "k", "operator": "~", "value": "x"}]'},
            "string",
        ),
        (
            {"filter": '[{"type": "stringObject", "column": "metadata", "key": "k", "operator": "=", "value": 3}]'},
            "string",
        ),
        ({"filter": '[{"type": "number", "column": "value", "operator": "=", "value": "3"}]'}, "number"),
        ({"filter": '[{"type": "datetime", "column": "timestamp", "operator": ">", "value": "soon"}]'}, "datetime"),
        ({"filter": '[{"type": "stringObject", "column": "metadata", "operator": "is set"}]'}, "key"),
    ],
)
def test_bad_input_is_400(data, api_client, params, says):
    response = get(api_client, data.project_key, "/v2/scores", **params)
    assert response.status_code == 400, response.content
    assert says.lower() in json.dumps(response.json()).lower()


def test_pagination_meta(data, api_client):
    pages = [get(api_client, data.project_key, "/v2/scores", limit=4, page=n).json() for n in (1, 2, 3)]
    assert [[s["id"] for s in p["data"]] for p in pages] == [ALL[:4], ALL[4:], []]
    assert [p["meta"] for p in pages] == [{"page": n, "limit": 4, "totalItems": 6, "totalPages": 2} for n in (1, 2, 3)]
    assert get(api_client, data.project_key, "/v2/scores", limit=100).json()["meta"]["limit"] == 100
    assert get(api_client, data.project_key, "/v2/scores").json()["meta"] == {
        "page": 1,
        "limit": 50,
        "totalItems": 6,
        "totalPages": 1,
    }


def test_same_timestamp_is_ordered_by_id_descending(tenant, api_client):
    store_events(tenant.project.id, [score(f"s{n}", 0, sessionId="s", name="n", value=n) for n in (2, 1, 3)])
    assert _ids(api_client, tenant, limit=2) == ["s3", "s2"]
    assert _ids(api_client, tenant, limit=2, page=2) == ["s1"]


def test_item_shape_and_trace_group(data, api_client):
    items = {s["id"]: s for s in get(api_client, data.project_key, "/v2/scores").json()["data"]}
    sc1 = items["sc1"]
    assert sc1 == {
        "id": "sc1",
        "traceId": "t1",
        "name": "quality",
        "source": "API",
        "observationId": None,
        "sessionId": None,
        "datasetRunId": None,
        "timestamp": "2026-11-28T12:00:00.000Z",
        "createdAt": sc1["createdAt"],
        "updatedAt": sc1["updatedAt"],
        "authorUserId": None,
        "comment": "good",
        "metadata": {"user_id": "abc123", "team": "search"},
        "configId": "cfg1",
        "queueId": None,
        "environment": "prod",
        "dataType": "NUMERIC",
        "value": 0.9,
        "trace": {"userId": "u1", "tags": ["a", "b"], "environment": "prod", "sessionId": "s1"},
    }
    assert (items["sc2"]["dataType"], items["sc2"]["stringValue"], items["sc2"]["value"]) == ("CATEGORICAL", "good", 0)
    assert (items["sc3"]["value"], items["sc3"]["stringValue"]) == (1, "True")
    assert items["sc3"]["trace"] == {"userId": "u2", "tags": ["a"], "environment": "default", "sessionId": None}
    assert items["sc5"]["stringValue"] == "free text"
    assert items["sc4"]["trace"] is None and items["sc5"]["trace"] is None  # no trace: null
    without = get(api_client, data.project_key, "/v2/scores", fields="score").json()["data"]
    assert len(without) == 6 and all("trace" not in s for s in without)
    assert {k: v for k, v in without[-1].items()} == {k: v for k, v in sc1.items() if k != "trace"}


def test_trace_not_stored_yet_is_null(tenant, api_client):
    store_events(tenant.project.id, [score("early", 0, traceId="later", name="q", value=1)])
    (item,) = get(api_client, tenant.project_key, "/v2/scores").json()["data"]
    assert item["traceId"] == "later" and item["trace"] is None


def test_get_by_id(data, api_client):
    response = get(api_client, data.project_key, "/v2/scores/sc2")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["traceId"], body["observationId"], body["stringValue"]) == ("sc2", "t1", "o1", "good")
    assert get(api_client, data.project_key, "/v2/scores/sc4").json()["sessionId"] == "s9"
    missing = get(api_client, data.project_key, "/v2/scores/nope")
    assert missing.status_code == 404
    assert missing.json() == {
        "message": "Score nope not found within authorized project",
        "error": "LangfuseNotFoundError",
    }


def test_sdk2_get_by_id_serves_trace_scores_only(data, api_client):
    body = get(api_client, data.project_key, "/scores/sc1").json()
    assert (body["id"], body["traceId"], body["value"]) == ("sc1", "t1", 0.9)
    assert get(api_client, data.project_key, "/scores/sc4").status_code == 404  # a session score: no traceId
    assert get(api_client, data.project_key, "/scores/sc6").status_code == 404  # CORRECTION: not a v1 data type


def test_sdk2_list_serves_trace_scores_with_the_v2_filters(data, other_tenant, api_client):
    def listed(key=data.project_key, **params):
        response = get(api_client, key, "/scores", **params)
        assert response.status_code == 200, response.content
        return response.json()

    body = listed()
    # SDK 2.x could not parse sc4 (a session's) and sc5 (a dataset run's): no trace; nor sc6: a
    # CORRECTION, a data type its models do not know.
    assert [s["id"] for s in body["data"]] == ["sc3", "sc2", "sc1"]
    assert body["meta"] == {"page": 1, "limit": 50, "totalItems": 3, "totalPages": 1}
    assert body["data"][2]["trace"] == {"userId": "u1", "tags": ["a", "b"], "environment": "prod", "sessionId": "s1"}
    assert [s["id"] for s in listed(name="quality")["data"]] == ["sc1"]
    assert [s["id"] for s in listed(userId="u1", limit=1, page=2)["data"]] == ["sc1"]
    assert [s["id"] for s in listed(dataType="BOOLEAN")["data"]] == ["sc3"]
    # Another project's key lists its own scores only.
    assert [s["id"] for s in listed(other_tenant.project_key)["data"]] == ["scb", "sc1"]
    assert listed(other_tenant.project_key, scoreIds="sc1")["data"][0]["value"] == 0.1
    # Bad input and credentials are answered as on /v2/scores; POST on the path still creates.
    assert get(api_client, data.project_key, "/scores", limit=101).status_code == 400
    assert api_client.get("/api/public/scores").status_code == 401
    created = api_client.post(
        "/api/public/scores",
        {"traceId": "t1", "name": "later", "value": 1},
        content_type="application/json",
        HTTP_AUTHORIZATION=data.project_key.header,
    )
    assert created.status_code == 200, created.content
    assert listed(name="later")["data"][0]["id"] == created.json()["id"]


def test_tenant_isolation(data, other_tenant, api_client):
    # Project A sees its own sc1 (0.9), never B's score of the same id or B's other score.
    assert _ids(api_client, data, scoreIds="sc1,scb") == ["sc1"]
    assert _ids(api_client, data, traceId="t1") == ["sc2", "sc1"]
    assert get(api_client, data.project_key, "/v2/scores/sc1").json()["value"] == 0.9
    assert get(api_client, data.project_key, "/v2/scores/scb").status_code == 404
    assert get(api_client, data.project_key, "/scores/scb").status_code == 404
    # Project B's key sees only B's scores; its trace data is B's trace.
    listed = get(api_client, other_tenant.project_key, "/v2/scores", userId="u1").json()
    assert [s["id"] for s in listed["data"]] == ["scb", "sc1"] and listed["meta"]["totalItems"] == 2
    assert get(api_client, other_tenant.project_key, "/v2/scores/sc1").json()["value"] == 0.1
    assert get(api_client, other_tenant.project_key, "/v2/scores/sc2").status_code == 404
