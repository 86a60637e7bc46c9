"""Console pages of the trace explorer: the traces table and the trace detail."""

import pytest
from django.urls import reverse

from apps.traces.queries import traces as queries
from apps.traces.tasks import index_pending
from tests.ingestion.helpers import event, iso, post_batch

pytestmark = pytest.mark.core


@pytest.fixture
def workflow(tenant, api_client):
    post_batch(
        api_client,
        tenant.project_key.header,
        [
            event(
                "trace-create",
                {
                    "id": "wf",
                    "name": "workflow",
                    "userId": "u1",
                    "sessionId": "c1",
                    "tags": ["dify"],
                    "timestamp": iso(0),
                    "input": {"query": "こんにちは"},
                },
            ),
            event(
                "span-create",
                {"id": "run", "traceId": "wf", "name": "workflow", "startTime": iso(0), "endTime": iso(6)},
            ),
            event(
                "span-create",
                {
                    "id": "fast",
                    "traceId": "wf",
                    "parentObservationId": "run",
                    "name": "start",
                    "startTime": iso(0),
                    "endTime": iso(0.2),
                },
            ),
            event(
                "generation-create",
                {
                    "id": "llm",
                    "traceId": "wf",
                    "parentObservationId": "run",
                    "name": "llm",
                    "model": "gpt-4o",
                    "startTime": iso(1),
                    "endTime": iso(5),
                    "input": [{"role": "user", "content": "hi"}],
                    "output": {"role": "assistant", "content": "hello"},
                    "usageDetails": {"input": 10, "output": 5},
                },
            ),
            event(
                "span-create",
                {
                    "id": "code",
                    "traceId": "wf",
                    "parentObservationId": "run",
                    "name": "code",
                    "startTime": iso(5),
                    "endTime": iso(5.5),
                    "level": "ERROR",
                    "statusMessage": "division by zero",
                },
            ),
            event("trace-create", {"id": "other", "name": "ping", "userId": "u2", "timestamp": iso(10)}),
        ],
    )
    return tenant


def test_traces_table_and_filters(workflow, member_client):
    url = reverse("projects:traces", args=[workflow.project.id])
    page = member_client.get(url)
    assert [t.id for t in page.context["page"].object_list] == ["other", "wf"]
    assert [t.id for t in member_client.get(url, {"user": "u1"}).context["page"].object_list] == ["wf"]
    assert [t.id for t in member_client.get(url, {"errors": "1"}).context["page"].object_list] == ["wf"]
    index_pending()  # the search documents are built in the background
    assert [t.id for t in member_client.get(url, {"q": "pin"}).context["page"].object_list] == ["other"]
    assert [t.id for t in member_client.get(url, {"tag": "dify"}).context["page"].object_list] == ["wf"]


def test_trace_detail_tree_timeline_and_error(workflow, member_client):
    url = reverse("projects:trace", args=[workflow.project.id, "wf"])
    page = member_client.get(url)
    rows = page.context["rows"]
    assert [(r["obs"].id, r["depth"]) for r in rows] == [("run", 0), ("fast", 1), ("llm", 1), ("code", 1)]
    assert page.context["slowest_id"] == "llm"
    assert next(r for r in rows if r["obs"].id == "llm")["offset"] == pytest.approx(16.67, abs=0.01)
    assert "こんにちは".encode() in page.content
    error = member_client.get(url, {"observation": "code"})
    assert b"division by zero" in error.content
    llm = member_client.get(url, {"observation": "llm"})
    assert llm.context["input_chat"] == [{"role": "user", "content": "hi"}]
    assert llm.context["output_chat"] == [{"role": "assistant", "content": "hello"}]


def test_trace_detail_of_another_project_is_404(workflow, other_tenant):
    from apps.core.roles import Role
    from tests.conftest import client_for

    outsider = client_for(other_tenant.users[Role.OWNER])
    url = reverse("projects:trace", args=[other_tenant.project.id, "wf"])
    assert outsider.get(url).status_code == 404


def test_sessions_list_and_replay(workflow, api_client, member_client):
    post_batch(
        api_client,
        workflow.project_key.header,
        [
            event(
                "trace-create",
                {
                    "id": "turn2",
                    "name": "reply",
                    "sessionId": "c1",
                    "timestamp": iso(30),
                    "input": [{"role": "user", "content": "and then?"}],
                    "output": "done",
                },
            ),
            event("score-create", {"traceId": "turn2", "name": "helpful", "value": 1, "dataType": "BOOLEAN"}),
            event("score-create", {"traceId": "wf", "name": "helpful", "value": 0, "dataType": "BOOLEAN"}),
            event("score-create", {"sessionId": "c1", "name": "verdict", "value": "resolved"}),
            event("score-create", {"sessionId": "elsewhere", "name": "verdict", "value": "nope"}),
        ],
    )
    sessions = member_client.get(reverse("projects:sessions", args=[workflow.project.id]))
    [row] = sessions.context["page"].object_list
    assert (row["session_id"], row["traces"], row["user"]) == ("c1", 2, "u1")
    [listed] = sessions.context["rows"]
    assert listed["scores"] == [
        {"name": "helpful", "value": 0.5, "count": 2},
        {"name": "verdict", "label": "resolved", "count": 1},
    ]
    assert "helpful: 0.5" in sessions.content.decode()
    replay = member_client.get(reverse("projects:session", args=[workflow.project.id, "c1"]))
    turns = replay.context["turns"]
    assert [t["trace"].id for t in turns] == ["wf", "turn2"]
    assert turns[1]["input_chat"] == [{"role": "user", "content": "and then?"}]
    assert [s.name for s in turns[1]["scores"]] == ["helpful"]
    assert b"and then?" in replay.content
    assert member_client.get(reverse("projects:session", args=[workflow.project.id, "nope"])).status_code == 404


def test_a_long_session_is_replayed_a_page_of_turns_at_a_time(tenant, api_client, member_client):
    turns = [
        event(
            "trace-create",
            {"id": f"turn-{n:03}", "sessionId": "long", "timestamp": iso(n), "input": f"question {n}"},
        )
        for n in range(120)
    ]
    costs = [
        event("generation-create", {"id": f"gen-{n}", "traceId": f"turn-{n:03}", "costDetails": {"total": 0.5}})
        for n in (0, 119)
    ]
    post_batch(api_client, tenant.project_key.header, turns + costs)
    url = reverse("projects:session", args=[tenant.project.id, "long"])
    first = member_client.get(url)
    assert [t["number"] for t in first.context["turns"]] == list(range(1, 51))
    assert first.context["turns"][0]["trace"].id == "turn-000"
    assert first.context["turn_count"] == 120 and first.context["total_cost"] == 1  # the whole session's
    assert first.context["duration"] == 119
    assert "page=2" in first.content.decode()
    last = member_client.get(url, {"page": 3})
    assert [t["trace"].id for t in last.context["turns"]] == [f"turn-{n:03}" for n in range(100, 120)]
    assert last.context["turns"][0]["number"] == 101 and "question 119" in last.content.decode()
    assert "page=4" not in last.content.decode()


def test_users_page(workflow, member_client):
    page = member_client.get(reverse("projects:users", args=[workflow.project.id]))
    users = {row["user_id"]: row for row in page.context["page"].object_list}
    assert set(users) == {"u1", "u2"}
    assert users["u1"]["traces"] == 1 and users["u1"]["tokens"] == 15 and users["u1"]["errors"] == 1
    filtered = member_client.get(reverse("projects:users", args=[workflow.project.id]), {"q": "u2"})
    assert [row["user_id"] for row in filtered.context["page"].object_list] == ["u2"]


def test_observations_table_and_errors_view(workflow, member_client):
    url = reverse("projects:observations", args=[workflow.project.id])
    generations = member_client.get(url).context["page"].object_list
    assert [o.id for o in generations] == ["llm"] and generations[0].latency == 4.0
    everything = member_client.get(url, {"type": "ALL", "level": "ERROR"}).context["page"].object_list
    assert [o.id for o in everything] == ["code"]
    errors = member_client.get(reverse("projects:errors", args=[workflow.project.id]), {"range": "all"})
    [group] = errors.context["groups"]
    assert (group["status_message"], group["name"], group["count"], group["traces"]) == (
        "division by zero",
        "code",
        1,
        1,
    )
    assert b"division by zero" in errors.content


def test_delete_trace_from_the_console(workflow):
    from apps.audit.models import AuditEntry
    from apps.core.roles import Role
    from apps.traces.models import Observation, Trace
    from tests.conftest import client_for

    url = reverse("projects:trace_delete", args=[workflow.project.id, "wf"])
    member = client_for(workflow.users[Role.MEMBER])
    assert member.post(url, {"confirm": "delete"}).status_code == 403
    admin = client_for(workflow.users[Role.ADMIN])
    admin.post(url, {})  # no confirmation: nothing happens
    assert Trace.objects.filter(project_id=workflow.project.id, id="wf").exists()
    response = admin.post(url, {"confirm": "delete"})
    assert response["Location"] == reverse("projects:traces", args=[workflow.project.id])
    assert not Trace.objects.filter(project_id=workflow.project.id, id="wf").exists()
    assert not Observation.objects.filter(project_id=workflow.project.id, trace_id="wf").exists()
    entry = AuditEntry.objects.get(action="trace.delete")
    assert entry.actor_user == workflow.users[Role.ADMIN] and entry.project_id == workflow.project.id


def test_console_pages_without_counting_the_table(tenant, api_client, member_client):
    post_batch(
        api_client,
        tenant.project_key.header,
        [event("trace-create", {"id": f"t{n:03d}", "timestamp": iso(n)}) for n in range(120)],
    )
    url = reverse("projects:traces", args=[tenant.project.id])
    first = member_client.get(url).context["page"]
    assert len(first.object_list) == 50 and first.has_next and not first.has_previous
    last = member_client.get(url, {"page": 3}).context["page"]
    assert [t.id for t in last.object_list][-1] == "t000" and not last.has_next and last.has_previous
    assert member_client.get(url, {"page": "junk"}).context["page"].number == 1


def test_bookmark_a_trace(workflow, member_client):
    from apps.traces.models import Trace

    url = reverse("projects:trace_bookmark", args=[workflow.project.id, "wf"])
    response = member_client.post(url, {"on": "1", "next": "https://evil.example.com/"})
    assert response["Location"] == reverse("projects:trace", args=[workflow.project.id, "wf"])
    assert Trace.objects.get(project_id=workflow.project.id, id="wf").bookmarked
    listed = member_client.get(reverse("projects:traces", args=[workflow.project.id]), {"bookmarked": "1"})
    assert [t.id for t in listed.context["page"].object_list] == ["wf"]
    member_client.post(url, {"on": "0"})
    assert not Trace.objects.get(project_id=workflow.project.id, id="wf").bookmarked


def test_user_page_with_sessions_and_traces(workflow, member_client, other_tenant):
    url = reverse("projects:user", args=[workflow.project.id, "u1"])
    page = member_client.get(url)
    assert page.status_code == 200
    assert page.context["summary"]["traces"] == 1 and page.context["summary"]["sessions"] == 1
    assert [s["session_id"] for s in page.context["sessions"]] == ["c1"]
    assert [t.id for t in page.context["traces"]] == ["wf"]
    users = member_client.get(reverse("projects:users", args=[workflow.project.id]))
    assert url in users.content.decode()  # the users list links to the page
    assert member_client.get(reverse("projects:user", args=[workflow.project.id, "nobody"])).status_code == 404
    assert member_client.get(reverse("projects:user", args=[other_tenant.project.id, "u1"])).status_code == 404


def test_deep_pages_keep_their_order(tenant, api_client, member_client):
    """Pages past the first fetch their keys first, then the rows: same rows, same order."""
    post_batch(
        api_client,
        tenant.project_key.header,
        [event("trace-create", {"id": f"t{n:03d}", "timestamp": iso(n // 2)}) for n in range(120)],
    )
    url = reverse("projects:traces", args=[tenant.project.id])
    seen = []
    for page in (1, 2, 3):
        seen += [t.id for t in member_client.get(url, {"page": page}).context["page"].object_list]
    expected = sorted((f"t{n:03d}" for n in range(120)), key=lambda i: (int(i[1:]) // 2, i), reverse=True)
    assert seen == expected
    api = [
        t["id"]
        for page in (1, 2, 3)
        for t in api_client.get(
            "/api/public/traces", {"page": page, "limit": 50}, HTTP_AUTHORIZATION=tenant.project_key.header
        ).json()["data"]
    ]
    assert api == expected


def test_sessions_and_users_pages_match_the_full_grouping(tenant, api_client, member_client):
    """Pages walk recent traces instead of grouping the whole project: same groups, same order."""
    import random

    rng = random.Random(7)
    events = [
        event(
            "trace-create",
            {
                "id": f"t{n}",
                "sessionId": f"s{rng.randint(1, 70)}",
                "userId": f"u{rng.randint(1, 60)}",
                "timestamp": iso(n * 7 % 500),
                "input": "x",
            },
        )
        for n in range(400)
    ]
    post_batch(api_client, tenant.project_key.header, events)
    project = tenant.project.id
    for name, overview, key in (
        ("projects:sessions", queries.session_overview(project_id=project), "session_id"),
        ("projects:users", queries.user_overview(project_id=project), "user_id"),
    ):
        expected = [(row[key], row["traces"], row["last"]) for row in overview]
        shown = []
        for page in (1, 2):
            rows = member_client.get(reverse(name, args=[project]), {"page": page}).context["page"].object_list
            shown += [(row[key], row["traces"], row["last"]) for row in rows]
        assert sorted(shown, key=lambda r: (-r[2].timestamp(), r[0])) == sorted(
            expected, key=lambda r: (-r[2].timestamp(), r[0])
        )
        assert [r[2] for r in shown] == sorted((r[2] for r in shown), reverse=True)
    filtered = member_client.get(reverse("projects:sessions", args=[project]), {"q": "s1"}).context["page"]
    assert {row["session_id"] for row in filtered.object_list} == {
        row["session_id"] for row in queries.session_overview(project_id=project, search="s1")
    }


def test_a_few_users_with_many_traces_fall_back_to_grouping(tenant, api_client, member_client, monkeypatch):
    """The walk over recent traces is bounded: past a few chunks the page groups instead."""
    from apps.traces.queries import traces as trace_queries

    monkeypatch.setattr(trace_queries, "_WALK_CHUNK", 10)
    post_batch(
        api_client,
        tenant.project_key.header,
        [event("trace-create", {"id": f"t{n}", "userId": f"u{n % 3}", "timestamp": iso(n)}) for n in range(200)],
    )
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries_run:
        page = member_client.get(reverse("projects:users", args=[tenant.project.id]))
    rows = page.context["page"].object_list
    assert [(r["user_id"], r["traces"]) for r in rows] == [("u1", 67), ("u0", 67), ("u2", 66)]
    walked = [q for q in queries_run.captured_queries if '"traces_trace"' in q["sql"]]
    assert len(walked) <= trace_queries._WALK_CHUNKS + 2  # not one query per 10 of the 200 traces


def test_deleting_a_trace_deletes_its_comments_and_media_references(workflow, other_tenant):
    from apps.core.access import system_access
    from apps.media.models import MediaReference
    from apps.scores.models import Comment
    from apps.traces import services

    project = workflow.project.id
    for object_type, object_id in (("TRACE", "wf"), ("OBSERVATION", "llm"), ("TRACE", "other")):
        Comment.objects.create(project_id=project, object_type=object_type, object_id=object_id, content="c")
    Comment.objects.create(project_id=other_tenant.project.id, object_type="TRACE", object_id="wf", content="c")
    MediaReference.objects.create(project_id=project, media_id="m", trace_id="wf", field="input")
    services.traces_delete(access=system_access(workflow.organization, workflow.project), trace_ids=["wf"])
    assert list(Comment.objects.filter(project_id=project).values_list("object_id", flat=True)) == ["other"]
    assert Comment.objects.filter(project_id=other_tenant.project.id).count() == 1  # another project's is kept
    assert not MediaReference.objects.filter(project_id=project).exists()
