"""GET /v3/scores: cursor paging, field groups, the polymorphic value, filters and their rules, isolation."""

import base64

import pytest

from tests.ingestion.helpers import iso
from tests.ingestion.helpers import store as store_events
from tests.scores.helpers import get, score, seed

pytestmark = pytest.mark.core

ALL = ["sc6", "sc5", "sc4", "sc3", "sc2", "sc1"]
CORE = {"id", "projectId", "name", "value", "dataType", "source", "timestamp", "environment", "createdAt", "updatedAt"}


@pytest.fixture
def data(tenant, other_tenant):
    seed(tenant.project.id)
    store_events(other_tenant.project.id, [score("sc1", 0, traceId="t1", name="quality", value=0.1)])
    store_events(other_tenant.project.id, [score("scb", 0, traceId="t1", name="quality", value=0.5)])
    return tenant


def _v3(api_client, tenant, **params):
    return get(api_client, tenant.project_key, "/v3/scores", **params)


def _ids(api_client, tenant, **params):
    response = _v3(api_client, tenant, **params)
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()["data"]]


def test_cursor_paging_across_pages(data, api_client):
    seen, cursors, cursor = [], [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        body = _v3(api_client, data, **params).json()
        assert body["meta"]["limit"] == 4
        seen.append([s["id"] for s in body["data"]])
        cursor = body["meta"].get("cursor")
        if cursor is None:
            assert "cursor" not in body["meta"]  # absent on the last page, not null
            break
        cursors.append(cursor)
    assert seen == [ALL[:4], ALL[4:]]
    # base64url: no +, / or padding that would need escaping in a query string.
    assert all(set(c) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for c in cursors)
    # An exact fit: the last full page carries no cursor.
    assert "cursor" not in _v3(api_client, data, limit=6).json()["meta"]
    assert _v3(api_client, data).json()["meta"] == {"limit": 50}


def test_cursor_paging_with_equal_timestamps_and_filters(tenant, api_client):
    store_events(tenant.project.id, [score(f"s{n}", 0, sessionId="s", name="n", value=n) for n in range(7)])
    store_events(tenant.project.id, [score("other", 0, sessionId="s", name="m", value=1)])
    seen, cursor = [], None
    while True:
        body = _v3(api_client, tenant, limit=3, name="n", **({"cursor": cursor} if cursor else {})).json()
        seen.extend(s["id"] for s in body["data"])
        cursor = body["meta"].get("cursor")
        if not cursor:
            break
    assert seen == [f"s{n}" for n in range(6, -1, -1)]


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b'{"timestamp": "yesterday", "id": "x"}').decode(),
        base64.urlsafe_b64encode(b'{"timestamp": "2026-11-28T12:00:00Z", "id": 3}').decode(),
        base64.urlsafe_b64encode(b'{"id": "x"}').decode(),
    ],
)
def test_bad_cursor_is_400(data, api_client, cursor):
    response = _v3(api_client, data, cursor=cursor)
    assert response.status_code == 400 and "cursor" in response.json()["message"]


def test_value_is_polymorphic_by_data_type(data, api_client):
    items = {s["id"]: s for s in _v3(api_client, data).json()["data"]}
    assert {k: (items[k]["dataType"], items[k]["value"]) for k in items} == {
        "sc1": ("NUMERIC", 0.9),
        "sc2": ("CATEGORICAL", "good"),
        "sc3": ("BOOLEAN", True),
        "sc4": ("NUMERIC", 0.2),
        "sc5": ("TEXT", "free text"),
        "sc6": ("CORRECTION", "fixed"),
    }
    assert type(items["sc3"]["value"]) is bool and type(items["sc1"]["value"]) is float
    store_events(data.project.id, [score("no", 60, sessionId="s", name="ok", value=0, dataType="BOOLEAN")])
    assert _v3(api_client, data, id="no").json()["data"][0]["value"] is False


def test_core_fields_only_by_default(data, api_client):
    sc1 = next(s for s in _v3(api_client, data).json()["data"] if s["id"] == "sc1")
    assert set(sc1) == CORE
    assert (sc1["projectId"], sc1["source"], sc1["environment"], sc1["timestamp"]) == (
        data.project.id,
        "API",
        "prod",
        "2026-11-28T12:00:00.000Z",
    )


def test_field_groups(data, api_client):
    def by_id(fields):
        return {s["id"]: s for s in _v3(api_client, data, fields=fields).json()["data"]}

    details = by_id("details")
    assert set(details["sc1"]) == CORE | {"comment", "configId", "metadata"}
    assert (details["sc1"]["comment"], details["sc1"]["configId"]) == ("good", "cfg1")
    assert details["sc1"]["metadata"] == {"user_id": "abc123", "team": "search"}
    annotation = by_id("annotation")
    assert set(annotation["sc3"]) == CORE | {"authorUserId", "queueId"}
    assert (annotation["sc3"]["authorUserId"], annotation["sc3"]["queueId"]) == (None, "q1")
    subject = by_id("subject")
    assert {k: v["subject"] for k, v in subject.items()} == {
        "sc1": {"kind": "trace", "id": "t1"},
        "sc2": {"kind": "observation", "id": "o1", "traceId": "t1"},
        "sc3": {"kind": "trace", "id": "t2"},
        "sc4": {"kind": "session", "id": "s9"},
        "sc5": {"kind": "experiment", "id": "run1"},
        "sc6": {"kind": "observation", "id": "o2", "traceId": "t2"},
    }
    everything = by_id(" details, subject,annotation ")
    assert set(everything["sc1"]) == CORE | {"comment", "configId", "metadata", "authorUserId", "queueId", "subject"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"id": "sc1,sc3,nope"}, ["sc3", "sc1"]),
        ({"name": "quality,label"}, ["sc4", "sc2", "sc1"]),
        ({"source": "eval,Annotation"}, ["sc3", "sc2"]),
        ({"dataType": "text,correction"}, ["sc6", "sc5"]),
        ({"environment": "prod,staging"}, ["sc4", "sc1"]),
        ({"configId": "cfg1,cfg2"}, ["sc3", "sc1"]),
        ({"queueId": "q1"}, ["sc3"]),
        ({"authorUserId": "someone"}, []),
        ({"dataType": "NUMERIC", "value": "0.9,0.3"}, ["sc1"]),
        ({"dataType": "boolean", "value": "true"}, ["sc3"]),
        ({"dataType": "BOOLEAN", "value": "false"}, []),
        ({"dataType": "CATEGORICAL", "value": "good,bad"}, ["sc2"]),
        ({"dataType": "NUMERIC", "valueMin": 0.5}, ["sc1"]),
        ({"dataType": "NUMERIC", "valueMax": 0.9}, ["sc4", "sc1"]),
        ({"dataType": "NUMERIC", "valueMin": 0.2, "valueMax": 0.2}, ["sc4"]),
        ({"traceId": "t1,t2"}, ["sc6", "sc3", "sc2", "sc1"]),
        ({"traceId": "t1", "observationId": "o1,o2"}, ["sc2"]),
        ({"sessionId": "s9"}, ["sc4"]),
        ({"experimentId": "run1"}, ["sc5"]),
        ({"fromTimestamp": iso(20)}, ["sc6", "sc5", "sc4", "sc3"]),
        ({"toTimestamp": iso(20)}, ["sc2", "sc1"]),
        ({"name": "quality", "environment": "staging"}, ["sc4"]),
    ],
)
def test_filters(data, api_client, params, expected):
    assert _ids(api_client, data, **params) == expected


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"fields": "details,io"}, "io"),
        ({"source": "HUMAN"}, "source"),
        ({"dataType": "FLOAT"}, "dataType"),
        ({"value": "1"}, "dataType"),
        ({"dataType": "NUMERIC,BOOLEAN", "value": "1"}, "dataType"),
        ({"dataType": "TEXT", "value": "x"}, "dataType"),
        ({"dataType": "BOOLEAN", "value": "yes"}, "true"),
        ({"dataType": "NUMERIC", "value": "high"}, "finite"),
        ({"dataType": "NUMERIC", "value": "inf"}, "finite"),
        ({"valueMin": 1}, "NUMERIC"),
        ({"dataType": "BOOLEAN", "valueMax": 1}, "NUMERIC"),
        ({"dataType": "NUMERIC", "valueMin": "low"}, "valueMin"),
        ({"traceId": "t1", "sessionId": "s9"}, "combined"),
        ({"traceId": "t1", "experimentId": "run1"}, "combined"),
        ({"sessionId": "s9", "observationId": "o1"}, "combined"),
        ({"experimentId": "run1", "observationId": "o1", "traceId": "t1"}, "combined"),
        ({"observationId": "o1"}, "traceId"),
        ({"fromTimestamp": "soon"}, "fromTimestamp"),
    ],
)
def test_bad_input_is_400(data, api_client, params, says):
    response = _v3(api_client, data, **params)
    assert response.status_code == 400, response.content
    assert says.lower() in response.content.decode().lower()


def test_tenant_isolation(data, other_tenant, api_client):
    assert _ids(api_client, data, id="sc1,scb") == ["sc1"]
    assert _v3(api_client, data, id="sc1", fields="subject").json()["data"][0]["value"] == 0.9
    listed = get(api_client, other_tenant.project_key, "/v3/scores", fields="subject").json()["data"]
    assert [(s["id"], s["projectId"], s["value"]) for s in listed] == [
        ("scb", other_tenant.project.id, 0.5),
        ("sc1", other_tenant.project.id, 0.1),
    ]
    # A cursor made in project A reads nothing of A from B's key.
    cursor = _v3(api_client, data, limit=1).json()["meta"]["cursor"]
    from_b = get(api_client, other_tenant.project_key, "/v3/scores", cursor=cursor).json()["data"]
    assert {s["projectId"] for s in from_b} <= {other_tenant.project.id}
