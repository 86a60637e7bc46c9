"""The trace page: agent graph, markdown and media in the IO panels, tag editing, comments."""

import re
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from apps.audit.models import AuditEntry
from apps.core.access import system_access
from apps.core.errors import InvalidRequest, NotFound
from apps.core.roles import Role
from apps.scores.models import Comment
from apps.traces.models import Trace
from apps.traces.services import trace_tags_update
from tests.conftest import client_for
from tests.ingestion.helpers import event, iso, post_batch
from tests.media.helpers import reference, store_media, tiny_png

pytestmark = pytest.mark.core
MARKDOWN = "# Forecast\n\nTomorrow is **sunny**.\n\n- morning: 12°C\n- <script>alert('owned')</script>\n"


def ingest_agent(tenant, api_client, *, output=None, trace_id="agent-run") -> None:
    """A nested agent flow: agent -> plan (LLM) -> search (tool) -> fetch (retriever) -> answer (LLM)."""
    spans = [
        ("agent-create", {"id": "agent", "name": "support agent", "startTime": iso(0), "endTime": iso(9)}),
        (
            "generation-create",
            {"id": "plan", "parentObservationId": "agent", "name": "plan", "startTime": iso(0), "endTime": iso(2)},
        ),
        (
            "tool-create",
            {
                "id": "search",
                "parentObservationId": "agent",
                "name": "web search",
                "startTime": iso(2),
                "endTime": iso(5),
            },
        ),
        (
            "retriever-create",
            {
                "id": "fetch",
                "parentObservationId": "search",
                "name": "fetch page",
                "startTime": iso(2),
                "endTime": iso(4),
            },
        ),
        (
            "generation-create",
            {
                "id": "answer",
                "parentObservationId": "agent",
                "name": "answer",
                "startTime": iso(5),
                "endTime": iso(9),
                "output": {"role": "assistant", "content": MARKDOWN},
            },
        ),
    ]
    body = {"id": trace_id, "name": "ticket", "timestamp": iso(0), "tags": ["prod"], "output": output}
    events = [event("trace-create", body)] + [event(kind, {**b, "traceId": trace_id}) for kind, b in spans]
    response = post_batch(api_client, tenant.project_key.header, events)
    assert response.status_code == 207 and not response.json()["errors"], response.content


def page_url(tenant, trace_id="agent-run", **query) -> str:
    url = reverse("projects:trace", args=[tenant.project.id, trace_id])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# --- Agent graph ------------------------------------------------------------------------------


def test_agent_graph_draws_the_flow_with_clickable_typed_nodes(tenant, api_client, member_client):
    ingest_agent(tenant, api_client)
    tree = member_client.get(page_url(tenant))
    assert tree.context["graph"] is None and b'data-testid="agent-graph"' not in tree.content

    page = member_client.get(page_url(tenant, view="graph", observation="search"))
    graph = page.context["graph"]
    assert [(n.id, n.type, n.depth) for n in graph.nodes] == [
        ("", "TRACE", 0),
        ("agent", "AGENT", 1),
        ("plan", "GENERATION", 2),
        ("search", "TOOL", 2),
        ("fetch", "RETRIEVER", 3),
        ("answer", "GENERATION", 2),
    ]
    html = page.content.decode()
    assert html.count('data-testid="graph-node"') == 6
    assert 'href="?view=graph&amp;observation=fetch"' in html
    selected = re.search(r'<a [^>]*class="graph-node ([^"]*)"[^>]*data-node-id="search"', html)
    assert selected and "is-selected" in selected.group(1)
    assert len(re.findall(r'graph-edge-next" d="[^"]+" marker-end', html)) == 2  # plan -> search -> answer
    assert page.context["selected"].id == "search"


def test_a_truncated_graph_says_so(tenant, api_client, member_client):
    events = [event("trace-create", {"id": "wide", "name": "wide", "timestamp": iso(0)})]
    events += [
        event("span-create", {"id": f"s{n:03d}", "traceId": "wide", "startTime": iso(n), "endTime": iso(n + 1)})
        for n in range(205)
    ]
    post_batch(api_client, tenant.project_key.header, events)
    page = member_client.get(page_url(tenant, "wide", view="graph"))
    assert page.context["graph"].shown == 200 and page.context["graph"].total == 205
    assert b'data-testid="graph-truncated"' in page.content


# --- Input and output rendering ---------------------------------------------------------------


def test_markdown_output_is_rendered_with_html_escaped(tenant, api_client, member_client):
    ingest_agent(tenant, api_client, output=MARKDOWN)
    html = member_client.get(page_url(tenant)).content.decode()
    assert "<h1>Forecast</h1>" in html and "<strong>sunny</strong>" in html
    assert "<script>alert" not in html
    assert "<li>&lt;script&gt;alert('owned')&lt;/script&gt;</li>" in html
    assert 'data-testid="output-show-raw"' in html and 'data-testid="output-show-json"' in html
    assert 'data-testid="output-copy"' in html
    # The same inside a chat message of the selected generation.
    chat = member_client.get(page_url(tenant, observation="answer")).content.decode()
    assert "<h1>Forecast</h1>" in chat and "<script>alert" not in chat


@pytest.mark.parametrize(
    "stored_input",
    [
        {"messages": [{"role": "user", "content": "Tools input"}], "tools": [{"name": "weather"}]},
        [{"message": {"role": "user", "content": "Tools input"}}],  # OpenInference's flattened messages
    ],
)
def test_inputs_with_tools_and_wrapped_messages_show_as_a_chat(stored_input, tenant, api_client, member_client):
    body = {"id": "call", "traceId": "chatty", "name": "llm", "input": stored_input, "output": "ok"}
    post_batch(api_client, tenant.project_key.header, [event("generation-create", body)])
    html = member_client.get(page_url(tenant, "chatty", observation="call")).content.decode()
    assert 'data-testid="input-chat"' in html and "Tools input" in html
    if "tools" in stored_input:  # the whole input, tools too, under JSON
        assert "weather" in html


def test_plain_text_is_not_taken_for_markdown(tenant, api_client, member_client):
    ingest_agent(tenant, api_client, output="The weather is fine. Nothing else to say.")
    html = member_client.get(page_url(tenant)).content.decode()
    assert 'data-testid="output-markdown"' not in html and 'data-testid="output-show-raw"' not in html


def test_dataset_and_playground_buttons_are_disabled(tenant, api_client, member_client):
    ingest_agent(tenant, api_client)
    html = member_client.get(page_url(tenant, observation="answer")).content.decode()
    for testid in ("add-to-dataset", "open-in-playground"):
        button = re.search(rf'<button [^>]*data-testid="{testid}"[^>]*>', html).group(0)
        assert " disabled " in button and "title=" in button and "href" not in button


# --- Media ------------------------------------------------------------------------------------


@pytest.fixture
def blob_settings(settings, tmp_path):
    from apps.core.blobs import blob_store

    settings.DATA_DIR = tmp_path
    settings.LANGOPS_S3_BUCKET = ""
    blob_store.cache_clear()
    yield settings
    blob_store.cache_clear()


def test_stored_media_renders_and_resolves_only_within_the_project(
    tenant, other_tenant, api_client, member_client, blob_settings
):
    png = tiny_png()
    mine = store_media(tenant.project, png, "image/png", trace_id="agent-run")
    wav = store_media(tenant.project, b"RIFF....WAVEfmt ", "audio/wav", trace_id="agent-run")
    html_media = store_media(tenant.project, b"<script>alert(1)</script>", "text/html", trace_id="agent-run")
    # Project B holds other bytes; A's trace names B's id, which A does not hold.
    theirs = store_media(other_tenant.project, b"\x89PNG other bytes", "image/png", trace_id="b-trace")
    output = {
        "answer": "see the chart",
        "chart": reference(mine, "image/png"),
        "voice": reference(wav, "audio/wav"),
        "page": reference(html_media, "image/png"),  # the declared type is not trusted
        "stolen": reference(theirs, "image/png"),
    }
    ingest_agent(tenant, api_client, output=output)

    page = member_client.get(page_url(tenant))
    html = page.content.decode()
    media_url = reverse("projects:media", args=[tenant.project.id, mine])
    assert f'<img src="{media_url}"' in html
    assert f'src="{reverse("projects:media", args=[tenant.project.id, wav])}" data-testid="media-audio"' in html
    assert f'data-media-id="{theirs}"' not in html and 'data-testid="media-missing"' in html
    assert f'data-media-id="{html_media}"' not in html and 'data-testid="media-unshown"' in html
    assert {i.media_id: i.kind for i in page.context["media"]["output"]} == {
        mine: "image",
        wav: "audio",
        html_media: None,
        theirs: None,
    }

    response = member_client.get(media_url)
    assert response.status_code == 302 and "private" in response["Cache-Control"]
    blob = api_client.get(urlparse(response["Location"]).path)
    assert blob.status_code == 200 and blob["Content-Type"] == "image/png"
    assert b"".join(blob.streaming_content) == png

    assert member_client.get(reverse("projects:media", args=[tenant.project.id, theirs])).status_code == 404
    assert member_client.get(reverse("projects:media", args=[tenant.project.id, html_media])).status_code == 404
    outsider = client_for(other_tenant.users[Role.OWNER])
    assert outsider.get(media_url).status_code == 404
    viewer = client_for(tenant.users[Role.VIEWER])
    assert viewer.get(media_url).status_code == 302


# --- Tags -------------------------------------------------------------------------------------


def test_member_adds_and_removes_tags_audited_and_the_table_filter_follows(tenant, api_client, member_client):
    ingest_agent(tenant, api_client)
    url = reverse("projects:trace_tags", args=[tenant.project.id, "agent-run"])
    response = member_client.post(url, {"add": "  needs-review ", "observation": "plan", "view": "graph"})
    assert response["Location"] == page_url(tenant, view="graph", observation="plan")
    assert Trace.objects.get(project_id=tenant.project.id, id="agent-run").tags == ["prod", "needs-review"]
    table = reverse("projects:traces", args=[tenant.project.id])
    assert [t.id for t in member_client.get(table, {"tag": "needs-review"}).context["page"].object_list] == [
        "agent-run"
    ]

    member_client.post(url, {"remove": "prod"})
    assert Trace.objects.get(project_id=tenant.project.id, id="agent-run").tags == ["needs-review"]
    assert list(member_client.get(table, {"tag": "prod"}).context["page"].object_list) == []

    entries = AuditEntry.objects.filter(action="trace.tags_update", target_id="agent-run").order_by("id")
    assert [(e.before, e.after) for e in entries] == [
        ({"tags": ["prod"]}, {"tags": ["prod", "needs-review"]}),
        ({"tags": ["prod", "needs-review"]}, {"tags": ["needs-review"]}),
    ]
    assert entries[0].actor_user == tenant.users[Role.MEMBER] and entries[0].project_id == tenant.project.id

    html = member_client.get(page_url(tenant)).content.decode()
    assert 'data-testid="tag-input"' in html and 'name="remove" value="needs-review"' in html


def test_invalid_tags_are_refused_with_a_clear_message(tenant, api_client, member_client):
    ingest_agent(tenant, api_client)
    url = reverse("projects:trace_tags", args=[tenant.project.id, "agent-run"])
    for bad in ("   ", "x" * 201):
        response = member_client.post(url, {"add": bad}, follow=True)
        assert "A tag must be 1 to 200 characters long." in response.content.decode()
    assert Trace.objects.get(project_id=tenant.project.id, id="agent-run").tags == ["prod"]
    assert not AuditEntry.objects.filter(action="trace.tags_update").exists()


def test_tag_service_limits_and_tenancy(tenant, other_tenant, api_client):
    ingest_agent(tenant, api_client)
    access = system_access(tenant.organization, tenant.project)
    tags = trace_tags_update(access=access, trace_id="agent-run", add=[f"t{n}" for n in range(49)] + ["t0", "prod"])
    assert len(tags) == 50 and tags[:2] == ["prod", "t0"]  # duplicates collapse, order kept
    with pytest.raises(InvalidRequest, match="at most 50 tags"):
        trace_tags_update(access=access, trace_id="agent-run", add=["one too many"])
    # A trace an SDK gave more tags than the limit can still lose them.
    Trace.objects.filter(project_id=tenant.project.id, id="agent-run").update(tags=[f"sdk{n}" for n in range(60)])
    assert len(trace_tags_update(access=access, trace_id="agent-run", remove=["sdk0"])) == 59
    with pytest.raises(NotFound):
        trace_tags_update(
            access=system_access(other_tenant.organization, other_tenant.project), trace_id="agent-run", add=["x"]
        )


def test_viewer_cannot_edit_tags_and_other_organizations_get_404(tenant, other_tenant, api_client):
    ingest_agent(tenant, api_client)
    url = reverse("projects:trace_tags", args=[tenant.project.id, "agent-run"])
    viewer = client_for(tenant.users[Role.VIEWER])
    assert viewer.post(url, {"add": "x"}).status_code == 403
    assert client_for(other_tenant.users[Role.OWNER]).post(url, {"add": "x"}).status_code == 404
    assert Trace.objects.get(project_id=tenant.project.id, id="agent-run").tags == ["prod"]
    html = viewer.get(page_url(tenant)).content.decode()
    assert 'data-testid="tag-input"' not in html and 'name="remove"' not in html and ">prod<" in html


# --- Comments ---------------------------------------------------------------------------------


def test_comments_on_the_trace_and_on_an_observation(tenant, api_client, member_client):
    ingest_agent(tenant, api_client)
    url = reverse("projects:trace_comment", args=[tenant.project.id, "agent-run"])
    member_client.post(url, {"content": "Looks slow <b>here</b>"})
    response = member_client.post(url, {"content": "The tool timed out", "observation": "search", "view": "graph"})
    assert response["Location"] == page_url(tenant, view="graph", observation="search")
    stored = {(c.object_type, c.object_id, c.content, c.author_user_id) for c in Comment.objects.all()}
    member = tenant.users[Role.MEMBER]
    assert stored == {
        ("TRACE", "agent-run", "Looks slow <b>here</b>", member.id),
        ("OBSERVATION", "search", "The tool timed out", member.id),
    }

    trace_page = member_client.get(page_url(tenant))
    assert [c.content for c in trace_page.context["comments"]] == ["Looks slow <b>here</b>"]
    assert "Looks slow &lt;b&gt;here&lt;/b&gt;" in trace_page.content.decode()
    on_search = member_client.get(page_url(tenant, observation="search"))
    assert [(c.object_type, c.author) for c in on_search.context["comments"]] == [
        ("TRACE", member.display_name),
        ("OBSERVATION", member.display_name),
    ]
    # The public API lists what the console wrote.
    listed = api_client.get(
        "/api/public/comments",
        {"objectType": "OBSERVATION", "objectId": "search"},
        HTTP_AUTHORIZATION=tenant.project_key.header,
    ).json()["data"]
    assert [c["content"] for c in listed] == ["The tool timed out"]


def test_comment_checks(tenant, other_tenant, api_client, member_client):
    ingest_agent(tenant, api_client)
    url = reverse("projects:trace_comment", args=[tenant.project.id, "agent-run"])
    empty = member_client.post(url, {"content": "   "}, follow=True)
    assert "A comment must be 1 to 5000 characters long." in empty.content.decode()
    assert member_client.post(url, {"content": "x", "observation": "nope"}).status_code == 404
    assert not Comment.objects.exists()

    viewer = client_for(tenant.users[Role.VIEWER])
    assert viewer.post(url, {"content": "hi"}).status_code == 403
    assert client_for(other_tenant.users[Role.OWNER]).post(url, {"content": "hi"}).status_code == 404
    assert not Comment.objects.exists()
    member_client.post(url, {"content": "visible to viewers"})
    html = viewer.get(page_url(tenant)).content.decode()
    assert "visible to viewers" in html and 'data-testid="comment-input"' not in html


def test_an_api_comment_cannot_borrow_an_outsiders_name(tenant, other_tenant, api_client, member_client):
    """authorUserId comes from the client: only members of the project's organization are named."""
    ingest_agent(tenant, api_client)
    outsider = other_tenant.users[Role.OWNER]
    insider = tenant.users[Role.OWNER]
    for author in (outsider, insider):
        response = api_client.post(
            "/api/public/comments",
            {
                "projectId": tenant.project.id,
                "objectType": "TRACE",
                "objectId": "agent-run",
                "content": f"by {author.id}",
                "authorUserId": author.id,
            },
            content_type="application/json",
            HTTP_AUTHORIZATION=tenant.project_key.header,
        )
        assert response.status_code == 200
    comments = member_client.get(page_url(tenant)).context["comments"]
    assert [(c.content, c.author) for c in comments] == [
        (f"by {outsider.id}", ""),
        (f"by {insider.id}", insider.display_name),
    ]
    too_long = api_client.post(
        "/api/public/comments",
        {
            "projectId": tenant.project.id,
            "objectType": "TRACE",
            "objectId": "agent-run",
            "content": "x",
            "authorUserId": "u" * 31,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=tenant.project_key.header,
    )
    assert too_long.status_code == 400
