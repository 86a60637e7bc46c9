"""The traces table: filter builder (the API's JSON grammar), custom time range, columns, saved views."""

import json

import pytest
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.core.roles import Role
from apps.traces.models import SavedView
from tests.conftest import client_for
from tests.ingestion.helpers import event, iso, post_batch

pytestmark = pytest.mark.core


@pytest.fixture
def table(tenant, api_client):
    def trace(trace_id, seconds, **body):
        return event("trace-create", {"id": trace_id, "timestamp": iso(seconds), **body})

    def span(trace_id, start, end, **body):
        return event(
            "span-create",
            {"id": f"{trace_id}-s", "traceId": trace_id, "startTime": iso(start), "endTime": iso(end), **body},
        )

    post_batch(
        api_client,
        tenant.project_key.header,
        [
            trace("slow", 0, name="rag", release="r1", metadata={"customer": "acme"}, tags=["a", "b"]),
            span("slow", 0, 9, level="ERROR", statusMessage="timeout"),
            trace("fast", 10, name="chat", release="r2", version="v2", metadata={"customer": "globex"}, tags=["a"]),
            span("fast", 10, 10.5),
            trace("warned", 20, name="chat", metadata={"customer": "acme", "plan": "pro"}),
            span("warned", 20, 21, level="WARNING"),
            event("score-create", {"id": "s1", "traceId": "fast", "name": "quality", "value": 0.9}),
            event("score-create", {"id": "s2", "traceId": "slow", "name": "quality", "value": 0.2}),
            event("score-create", {"id": "s3", "traceId": "warned", "name": "verdict", "value": "good"}),
        ],
    )
    return tenant


def _ids(client, project_id, **params):
    page = client.get(reverse("projects:traces", args=[project_id]), params)
    assert page.status_code == 200, page.content[:300]
    return sorted(r["trace"].id for r in page.context["rows"])


def _filter(*conditions):
    return {"filter": json.dumps(list(conditions))}


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        (
            [{"type": "stringObject", "column": "metadata", "key": "customer", "operator": "=", "value": "acme"}],
            ["slow", "warned"],
        ),
        (
            [{"type": "stringOptions", "column": "level", "operator": "any of", "value": ["ERROR", "WARNING"]}],
            ["slow", "warned"],
        ),
        ([{"type": "stringOptions", "column": "level", "operator": "none of", "value": ["ERROR"]}], ["fast", "warned"]),
        ([{"type": "number", "column": "latency", "operator": ">=", "value": 5}], ["slow"]),
        ([{"type": "number", "column": "latency", "operator": "<", "value": 1}], ["fast"]),
        ([{"type": "numberObject", "column": "scores", "key": "quality", "operator": ">=", "value": 0.5}], ["fast"]),
        (
            [{"type": "stringObject", "column": "scores", "key": "verdict", "operator": "=", "value": "good"}],
            ["warned"],
        ),
        ([{"type": "string", "column": "release", "operator": "=", "value": "r2"}], ["fast"]),
        ([{"type": "arrayOptions", "column": "tags", "operator": "all of", "value": ["a", "b"]}], ["slow"]),
        ([{"type": "number", "column": "errorCount", "operator": ">", "value": 0}], ["slow"]),
        (
            [
                {"type": "string", "column": "name", "operator": "=", "value": "chat"},
                {"type": "stringObject", "column": "metadata", "key": "plan", "operator": "contains", "value": "pr"},
            ],
            ["warned"],
        ),
    ],
)
def test_filter_builder_conditions(table, member_client, conditions, expected):
    assert _ids(member_client, table.project.id, **_filter(*conditions)) == expected


def test_the_api_takes_the_same_new_columns(table, api_client):
    condition = [{"type": "numberObject", "column": "scores", "key": "quality", "operator": "<", "value": 0.5}]
    response = api_client.get(
        "/api/public/traces", {"filter": json.dumps(condition)}, HTTP_AUTHORIZATION=table.project_key.header
    )
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["data"]] == ["slow"]


def test_a_bad_filter_is_explained_not_applied(table, member_client):
    url = reverse("projects:traces", args=[table.project.id])
    for bad in ["not json", json.dumps([{"type": "number", "column": "nope", "operator": ">", "value": 1}])]:
        page = member_client.get(url, {"filter": bad, "user": "nobody"})
        assert page.status_code == 200
        assert page.context["filter_error"]
        assert [r["trace"].id for r in page.context["rows"]] == []  # the other filters still apply


def test_too_many_conditions_are_refused(table, member_client, api_client):
    many = json.dumps([{"type": "number", "column": "totalTokens", "operator": ">=", "value": 0}] * 31)
    page = member_client.get(reverse("projects:traces", args=[table.project.id]), {"filter": many})
    assert "at most 30" in page.context["filter_error"]
    api = api_client.get("/api/public/traces", {"filter": many}, HTTP_AUTHORIZATION=table.project_key.header)
    assert api.status_code == 400 and "at most 30" in api.json()["message"]


def test_custom_time_window(table, member_client):
    project = table.project.id
    assert _ids(
        member_client, project, range="custom", **{"from": "2026-11-28T12:00:05", "to": "2026-11-28T12:00:15"}
    ) == ["fast"]
    assert _ids(member_client, project, range="custom", **{"from": "2026-11-28T12:00:15"}) == ["warned"]
    page = member_client.get(reverse("projects:traces", args=[project]), {"range": "custom", "from": "yesterday"})
    assert page.status_code == 200 and "from" in page.context["filter_error"]


def test_column_chooser_and_scores_column(table, member_client):
    url = reverse("projects:traces", args=[table.project.id])
    page = member_client.get(url)
    assert "scores" in page.context["shown"] and "release" not in page.context["shown"]
    assert "quality: 0.9" in page.content.decode()
    chosen = member_client.get(url, {"cols": "release,bogus,version"})
    assert chosen.context["shown"] == ["release", "version"]
    html = chosen.content.decode()
    assert "r2" in html and "quality: 0.9" not in html


def test_saved_views_personal_shared_and_permissions(table, member_client):
    project = table.project.id
    create = reverse("projects:saved_view_create", args=[project])
    viewer = client_for(table.users[Role.VIEWER])
    response = viewer.post(create, {"name": "Slow ones", "query": "errors=1&page=3&range=24h"})
    assert response.status_code == 302 and response["Location"].endswith("?errors=1&range=24h")
    personal = SavedView.objects.get(name="Slow ones")
    assert personal.query == "errors=1&range=24h" and not personal.shared
    assert viewer.post(create, {"name": "Mine", "query": "", "shared": "1"}).status_code == 403  # sharing needs write
    member_client.post(create, {"name": "Team", "query": "tag=a", "shared": "1"})
    shared = SavedView.objects.get(name="Team")
    assert shared.shared
    url = reverse("projects:traces", args=[project])
    assert [v.name for v in viewer.get(url).context["saved_views"]] == ["Slow ones", "Team"]
    assert [v.name for v in member_client.get(url).context["saved_views"]] == ["Team"]  # not the viewer's own
    # Deleting: the owner may; a Viewer may not delete a shared view; another project's id is unknown.
    delete = lambda client, view: client.post(reverse("projects:saved_view_delete", args=[project, view.id]))  # noqa: E731
    assert delete(viewer, shared).status_code == 403
    assert delete(member_client, personal).status_code == 404
    assert delete(viewer, personal).status_code == 302
    assert delete(member_client, shared).status_code == 302
    assert not SavedView.objects.exists()
    assert AuditEntry.objects.filter(action="saved_view.delete").count() == 2


def test_saved_view_names_are_checked(table, member_client):
    create = reverse("projects:saved_view_create", args=[table.project.id])
    member_client.post(create, {"name": "Same", "query": "a=1"})
    response = member_client.post(create, {"name": "Same", "query": "b=1"}, follow=True)
    assert "already have a view" in response.content.decode()
    member_client.post(create, {"name": "  ", "query": "b=1"})
    member_client.post(create, {"name": "Long", "query": "q=" + "x" * 5000})
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Same"]


def test_saved_views_of_another_project_stay_there(table, other_tenant, member_client):
    theirs = SavedView.objects.create(
        project_id=other_tenant.project.id,
        owner=other_tenant.users[Role.OWNER],
        table="traces",
        name="x",
        query="",
        shared=True,
    )
    page = member_client.get(reverse("projects:traces", args=[table.project.id]))
    assert list(page.context["saved_views"]) == []
    response = member_client.post(reverse("projects:saved_view_delete", args=[table.project.id, theirs.id]))
    assert response.status_code == 404


def test_every_condition_the_filter_builder_offers_is_one_the_grammar_takes(db):
    """The builder's columns, types and operators are declared apart from the grammar: kept in step here."""
    from apps.traces.models import Trace
    from apps.traces.queries import filters as grammar
    from apps.traces.table_spec import filter_columns

    samples = {
        "string": "x",
        "stringObject": "x",
        "number": 1,
        "numberObject": 1,
        "stringOptions": ["DEFAULT"],
        "arrayOptions": ["x"],
    }
    for column in filter_columns():
        for operator in column["operators"]:
            condition = {"type": column["type"], "column": column["column"], "operator": operator}
            condition["value"] = samples[column["type"]]
            if column["keyLabel"]:
                condition["key"] = "k"
            queryset = grammar.apply(Trace.objects.filter(project_id="p"), [condition], grammar.TRACE_COLUMNS)
            assert list(queryset) == [], condition  # built and run, not refused
