"""POST /api/public/ingestion: 207 per-event results, validation, auth, limits."""

import gzip
import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.ingestion.events import decode_event
from apps.ingestion.writer import write_events
from apps.scores.models import Score
from apps.traces.models import Observation, Session, Trace
from tests.ingestion.helpers import event, iso, post_batch

pytestmark = pytest.mark.core


def _ok(response):
    assert response.status_code == 207, response.content
    return response.json()


def test_mixed_batch_is_stored_and_reported_per_event(tenant, api_client):
    events = [
        event("trace-create", {"id": "t1", "name": "workflow", "userId": "u1", "sessionId": "s1", "tags": ["a"]}),
        event("span-create", {"id": "o1", "traceId": "t1", "name": "node", "startTime": iso(1), "endTime": iso(2)}),
        event(
            "generation-create",
            {
                "id": "o2",
                "traceId": "t1",
                "parentObservationId": "o1",
                "model": "gpt-4o",
                "usage": {"input": 10, "output": 5, "unit": "TOKENS"},
                "startTime": iso(1),
            },
        ),
        event("score-create", {"id": "sc1", "traceId": "t1", "name": "quality", "value": 0.9}),
        event("sdk-log", {"log": "hello"}),
        event("span-create", {"id": 123, "traceId": "t1"}),
        {"type": "trace-create", "body": {}},
    ]
    body = _ok(post_batch(api_client, tenant.project_key.header, events))
    assert [s["id"] for s in body["successes"]] == [e["id"] for e in events[:4]]
    assert all(s["status"] == 201 for s in body["successes"])
    assert {e["id"] for e in body["errors"]} == {events[5]["id"], "unknown"}
    assert all(e["status"] == 400 and e["message"] and e["error"] for e in body["errors"])

    project = tenant.project.id
    trace = Trace.objects.get(project_id=project, id="t1")
    assert (trace.name, trace.user_id, trace.session_id, trace.tags) == ("workflow", "u1", "s1", ["a"])
    assert trace.observation_count == 2 and trace.input_tokens == 10 and trace.total_tokens == 15
    generation = Observation.objects.get(project_id=project, id="o2")
    assert generation.type == "GENERATION" and generation.parent_observation_id == "o1"
    assert generation.usage_details == {"input": 10, "output": 5, "total": 15}
    assert Score.objects.get(project_id=project, id="sc1").value == 0.9
    assert Session.objects.filter(project_id=project, id="s1").exists()


@pytest.mark.django_db(transaction=True)  # real commits: the process learns a session only after one
def test_a_session_is_inserted_once_per_process_and_not_before_commit(tenant, api_client):
    def send(trace_id: str, session_id: str) -> list[str]:
        batch = [event("trace-create", {"id": trace_id, "sessionId": session_id})]
        with CaptureQueriesContext(connection) as queries:
            post_batch(api_client, tenant.project_key.header, batch)
        return [q["sql"] for q in queries.captured_queries if "traces_session" in q["sql"]]

    assert len(send("t1", "chat-1")) == 1
    assert send("t2", "chat-1") == []  # known to exist: no statement
    # A write that rolls back teaches nothing: the session is inserted again next time.
    rolled_back = decode_event(event("trace-create", {"id": "t0", "sessionId": "chat-2"}), scores_only=False)[1]
    with transaction.atomic():
        write_events(project_id=tenant.project.id, events=[rolled_back])
        transaction.set_rollback(True)
    assert len(send("t3", "chat-2")) == 1
    assert set(Session.objects.filter(project_id=tenant.project.id).values_list("id", flat=True)) == {
        "chat-1",
        "chat-2",
    }


def test_same_batch_twice_stores_one_copy(tenant, api_client):
    events = [
        event("trace-create", {"id": "t1", "name": "a"}),
        event("generation-create", {"traceId": "t1", "name": "no id from Dify 1.14"}),
    ]
    post_batch(api_client, tenant.project_key.header, events)
    post_batch(api_client, tenant.project_key.header, events)
    assert Trace.objects.filter(project_id=tenant.project.id).count() == 1
    assert Observation.objects.filter(project_id=tenant.project.id).count() == 1
    assert Trace.objects.get(project_id=tenant.project.id, id="t1").observation_count == 1


def test_bearer_public_key_may_only_send_scores(tenant, api_client):
    events = [
        event("score-create", {"id": "s1", "traceId": "t1", "name": "thumbs", "value": 1, "dataType": "BOOLEAN"}),
        event("trace-create", {"id": "t1"}),
        event("sdk-log", {"log": "x"}),
    ]
    body = _ok(post_batch(api_client, f"Bearer {tenant.project_key.public_key}", events))
    assert body["successes"] == [{"id": events[0]["id"], "status": 201}]
    assert body["errors"] == [
        {"id": events[1]["id"], "status": 401, "message": "Authentication error", "error": "Access Scope Denied"}
    ]
    assert not Trace.objects.filter(project_id=tenant.project.id).exists()
    assert Score.objects.get(project_id=tenant.project.id, id="s1").string_value == "True"


def test_bearer_public_key_creates_scores_on_the_scores_route(tenant, api_client):
    bearer = f"Bearer {tenant.project_key.public_key}"
    one = api_client.post(
        "/api/public/scores",
        {"id": "b1", "traceId": "t1", "name": "thumbs", "value": 1, "dataType": "BOOLEAN"},
        content_type="application/json",
        HTTP_AUTHORIZATION=bearer,
    )
    assert one.status_code == 200 and one.json() == {"id": "b1"}
    many = [  # the SDK 5.x array form
        {"id": "b2", "traceId": "t1", "observationId": "o1", "name": "label", "value": "good"},
        {"id": "b3", "sessionId": "s1", "name": "rating", "value": 4, "comment": "nice"},
    ]
    response = api_client.post(
        "/api/public/scores", json.dumps(many), content_type="application/json", HTTP_AUTHORIZATION=bearer
    )
    assert response.status_code == 202 and response.json() == {"message": "Accepted"}
    scores = {s.id: s for s in Score.objects.filter(project_id=tenant.project.id)}
    assert set(scores) == {"b1", "b2", "b3"}
    assert (scores["b1"].data_type, scores["b1"].string_value) == ("BOOLEAN", "True")
    assert (scores["b2"].observation_id, scores["b2"].string_value) == ("o1", "good")
    assert (scores["b3"].session_id, scores["b3"].value, scores["b3"].comment) == ("s1", 4.0, "nice")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/public/traces", {"id": "t1", "name": "x"}),
        ("post", "/api/public/spans", {"id": "o1", "traceId": "t1"}),
        ("patch", "/api/public/generations", {"generationId": "o1", "output": "x"}),
        ("post", "/api/public/events", {"id": "o2", "traceId": "t1"}),
        ("get", "/api/public/traces", None),
    ],
)
def test_bearer_public_key_is_refused_off_the_score_routes(method, path, body, tenant, api_client):
    extra = {"content_type": "application/json"} if body is not None else {}
    response = getattr(api_client, method)(
        path, body, HTTP_AUTHORIZATION=f"Bearer {tenant.project_key.public_key}", **extra
    )
    assert response.status_code == 401, response.content
    assert not Trace.objects.filter(project_id=tenant.project.id).exists()
    assert not Observation.objects.filter(project_id=tenant.project.id).exists()


def test_bearer_with_a_secret_or_unknown_key_is_401(tenant, api_client):
    score = event("score-create", {"id": "s1", "traceId": "t1", "name": "thumbs", "value": 1})
    for credential in ("pk-lf-unknown", tenant.project_key.secret_key, tenant.org_key.public_key):
        response = post_batch(api_client, f"Bearer {credential}", [score])
        assert response.status_code == 401, credential
    from django.utils import timezone

    from apps.apikeys.models import ApiKey

    ApiKey.objects.filter(id=tenant.project_key.id).update(revoked_at=timezone.now())
    assert post_batch(api_client, f"Bearer {tenant.project_key.public_key}", [score]).status_code == 401
    assert not Score.objects.filter(project_id=tenant.project.id).exists()


def test_organization_key_cannot_ingest(tenant, api_client):
    response = post_batch(api_client, tenant.org_key.header, [event("trace-create", {"id": "t"})])
    assert response.status_code == 401  # Langfuse's answer here; other project routes say 403
    assert response.json()["message"].startswith("Missing projectId in scope")


@pytest.mark.parametrize("payload", [b"not json", b"[]", b'{"batch": "x"}', b'{"nobatch": []}', b"\xff\xfe"])
def test_malformed_top_level_is_400(payload, tenant, api_client):
    response = api_client.generic(
        "POST",
        "/api/public/ingestion",
        payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=tenant.project_key.header,
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid request data"


def test_gzip_body(tenant, api_client):
    response = post_batch(api_client, tenant.project_key.header, [event("trace-create", {"id": "gz"})], compress=True)
    assert _ok(response)["successes"]
    assert Trace.objects.filter(project_id=tenant.project.id, id="gz").exists()


def test_oversized_body_is_413(tenant, api_client):
    big = event("trace-create", {"id": "big", "input": "x" * 4_600_000})
    response = post_batch(api_client, tenant.project_key.header, [big])
    assert response.status_code == 413
    assert not Trace.objects.filter(project_id=tenant.project.id).exists()


def test_gzip_bomb_is_refused_without_inflating_it(tenant, api_client):
    bomb = gzip.compress(b'{"batch": [' + b" " * 200_000_000 + b"]}", compresslevel=9)
    assert len(bomb) < 1_000_000
    response = api_client.generic(
        "POST",
        "/api/public/ingestion",
        bomb,
        content_type="application/json",
        HTTP_AUTHORIZATION=tenant.project_key.header,
        HTTP_CONTENT_ENCODING="gzip",
    )
    assert response.status_code == 413


def test_corrupt_gzip_is_400(tenant, api_client):
    response = api_client.generic(
        "POST",
        "/api/public/ingestion",
        b"\x1f\x8bnot really gzip",
        content_type="application/json",
        HTTP_AUTHORIZATION=tenant.project_key.header,
        HTTP_CONTENT_ENCODING="gzip",
    )
    assert response.status_code == 400


def test_events_are_isolated_per_project(tenant, other_tenant, api_client):
    post_batch(api_client, tenant.project_key.header, [event("trace-create", {"id": "shared-id", "name": "A"})])
    post_batch(api_client, other_tenant.project_key.header, [event("trace-create", {"id": "shared-id", "name": "B"})])
    assert Trace.objects.get(project_id=tenant.project.id, id="shared-id").name == "A"
    assert Trace.objects.get(project_id=other_tenant.project.id, id="shared-id").name == "B"


def test_scores_endpoint_object_and_array(tenant, api_client):
    header = tenant.project_key.header
    one = api_client.post(
        "/api/public/scores",
        {"traceId": "t1", "name": "q", "value": 0.5},
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )
    assert one.status_code == 200 and one.json()["id"]
    many = [
        {"id": "a1", "traceId": "t1", "name": "quality", "value": 0.9, "comment": "good"},
        {"id": "a2", "traceId": "t1", "observationId": "o1", "name": "label", "value": "good"},
        {"id": "a3", "sessionId": "s1", "name": "ok", "value": 1, "dataType": "BOOLEAN"},
    ]
    response = api_client.post(
        "/api/public/scores", json.dumps(many), content_type="application/json", HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 202 and response.json() == {"message": "Accepted"}
    assert Score.objects.get(project_id=tenant.project.id, id="a2").data_type == "CATEGORICAL"
    bad = [*many[:2], {"id": "a4", "name": "x", "value": "nope", "dataType": "NUMERIC", "traceId": "t1"}]
    response = api_client.post(
        "/api/public/scores", json.dumps(bad), content_type="application/json", HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 207
    assert response.json()["accepted"] == 2 and response.json()["rejected"] == 1
    assert not Score.objects.filter(project_id=tenant.project.id, id="a4").exists()


def test_legacy_single_object_routes(tenant, api_client):
    header = tenant.project_key.header
    assert (
        api_client.post(
            "/api/public/traces",
            {"id": "lt", "name": "legacy"},
            content_type="application/json",
            HTTP_AUTHORIZATION=header,
        ).status_code
        == 200
    )
    api_client.post(
        "/api/public/generations",
        {"id": "lg", "traceId": "lt", "model": "m"},
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )
    api_client.patch(
        "/api/public/generations",
        {"generationId": "lg", "output": "done"},
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )
    generation = Observation.objects.get(project_id=tenant.project.id, id="lg")
    assert generation.output == "done" and generation.model == "m"


def test_nul_characters_are_dropped_not_fatal(tenant, api_client):
    body = _ok(
        post_batch(
            api_client,
            tenant.project_key.header,
            [
                event(
                    "span-create",
                    {
                        "id": "nul",
                        "traceId": "t",
                        "name": "a\u0000b",
                        "input": {"k\u0000": "v\u0000"},
                        "metadata": {"raw": "x\\u0000y"},
                    },
                ),
                event("span-create", {"id": "clean", "traceId": "t", "name": "fine"}),
                event("trace-create", {"id": "t", "userId": "u\u00001", "sessionId": "s\u00001"}),
            ],
        )
    )
    assert body["errors"] == [] and len(body["successes"]) == 3
    span = Observation.objects.get(project_id=tenant.project.id, id="nul")
    assert span.name == "ab" and span.input == {"k": "v"} and span.metadata == {"raw": "x\\u0000y"}
    assert Observation.objects.get(project_id=tenant.project.id, id="clean").name == "fine"
    trace = Trace.objects.get(project_id=tenant.project.id, id="t")
    assert (trace.user_id, trace.session_id, trace.observation_count) == ("u1", "s1", 2)
    assert Session.objects.filter(project_id=tenant.project.id, id="s1").exists()


@pytest.mark.parametrize(
    ("event_type", "body"),
    [
        ("span-create", {"id": "o", "traceId": "t", "parentObservationId": "p" * 801}),
        ("generation-create", {"id": "o", "traceId": "t", "promptName": "p", "promptVersion": 2**40}),
    ],
)
def test_values_the_database_cannot_hold_are_rejected_per_event(event_type, body, tenant, api_client):
    result = _ok(
        post_batch(
            api_client, tenant.project_key.header, [event(event_type, body), event("trace-create", {"id": "fine"})]
        )
    )
    assert len(result["errors"]) == 1 and len(result["successes"]) == 1
    assert Trace.objects.filter(project_id=tenant.project.id, id="fine").exists()


def test_absurd_usage_and_cost_values_are_dropped(tenant, api_client):
    _ok(
        post_batch(
            api_client,
            tenant.project_key.header,
            [
                event(
                    "generation-create",
                    {
                        "id": "g",
                        "traceId": "t",
                        "usageDetails": {"input": 2**70, "output": 3},
                        "costDetails": {"total": 1e30, "input": 0.5},
                    },
                ),
            ],
        )
    )
    generation = Observation.objects.get(project_id=tenant.project.id, id="g")
    assert generation.usage_details == {"output": 3, "total": 3}
    assert generation.cost_details == {"input": "0.5", "total": "0.5"}


def test_a_lone_surrogate_escape_is_replaced_and_costs_no_event(tenant, api_client):
    batch = [
        event("trace-create", {"id": "lone", "name": "NAME"}),
        event("trace-create", {"id": "pair", "name": "PAIR"}),
        event("trace-create", {"id": "text", "name": "TEXT"}),
        event("trace-create", {"id": "fine", "name": "fine"}),
    ]
    body = json.dumps({"batch": batch})
    body = body.replace("NAME", "a\\ud800b\\udc00c")  # a lone high and a lone low surrogate
    body = body.replace("PAIR", "\\ud83d\\ude00")  # a valid pair: one emoji
    body = body.replace("TEXT", "\\\\ud800")  # an escaped backslash, then the text "ud800"
    response = api_client.generic(
        "POST",
        "/api/public/ingestion",
        body.encode(),
        content_type="application/json",
        HTTP_AUTHORIZATION=tenant.project_key.header,
    )
    assert _ok(response)["errors"] == []
    names = dict(Trace.objects.filter(project_id=tenant.project.id).values_list("id", "name"))
    assert names == {"lone": "a\ufffdb\ufffdc", "pair": "\U0001f600", "text": "\\ud800", "fine": "fine"}


def test_lone_surrogates_are_replaced_on_the_scores_and_legacy_routes_too(tenant, api_client):
    header = tenant.project_key.header
    scores = '[{"id": "s1", "traceId": "t", "name": "n\\ud800", "value": 1}, {"id": "s2", "traceId": "t", "name": "ok", "value": 2}]'
    response = api_client.generic(
        "POST", "/api/public/scores", scores.encode(), content_type="application/json", HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 202
    assert Score.objects.get(project_id=tenant.project.id, id="s1").name == "n\ufffd"
    trace = b'{"id": "legacy", "name": "x\\ud800"}'
    response = api_client.generic(
        "POST", "/api/public/traces", trace, content_type="application/json", HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 200
    assert Trace.objects.get(project_id=tenant.project.id, id="legacy").name == "x\ufffd"


def test_times_without_an_offset_are_utc_beside_times_with_one(tenant, api_client):
    # A naive time beside an aware one once failed the whole request (they did not compare).
    batch = [
        event(
            "span-create",
            {"id": "o1", "traceId": "t1", "startTime": "2026-11-28T12:00:00", "endTime": "2026-11-28T12:00:01Z"},
        ),
        event("span-create", {"id": "o2", "traceId": "t1", "startTime": "2026-11-28T21:00:00.5+09:00"}),
        event("score-create", {"name": "s", "value": 1, "traceId": "t1", "timestamp": "2026-11-28T12:00:02"}),
    ]
    batch[1]["timestamp"] = "2026-11-28T12:00:00"  # the envelope's own time, naive too
    response = post_batch(api_client, tenant.project_key.header, batch)
    assert response.status_code == 207 and not response.json()["errors"]
    first, second = Observation.objects.order_by("id")
    assert first.start_time.isoformat() == "2026-11-28T12:00:00+00:00"
    assert (second.start_time - first.start_time).total_seconds() == 0.5
    trace = Trace.objects.get(id="t1")
    assert trace.timestamp == first.start_time and trace.end_time_max == first.end_time
    assert Score.objects.get().timestamp.isoformat() == "2026-11-28T12:00:02+00:00"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/public/ingestion"),
        ("delete", "/api/public/ingestion"),
        ("get", "/api/public/otel/v1/traces"),
        ("put", "/api/public/otel/v1/metrics"),
        ("put", "/api/public/scores"),  # (GET lists scores: SDK 2.x)
        ("get", "/api/public/spans"),
    ],
)
@pytest.mark.parametrize("authenticated", [True, False])
def test_a_method_a_write_route_does_not_serve_is_405_json(method, path, authenticated, tenant, api_client):
    headers = {"HTTP_AUTHORIZATION": tenant.project_key.header} if authenticated else {}
    response = getattr(api_client, method)(path, **headers)
    assert response.status_code == 405
    assert response.json() == {"message": "Method not allowed", "error": "MethodNotAllowedError"}
