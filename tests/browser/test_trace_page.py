"""The trace page in a real browser: a nested agent flow seen as a graph, a tag and a comment
added, and an image the SDK uploaded rendered from stored media."""

import re

import pytest
from playwright.sync_api import Page, expect

from apps.core.roles import Role
from tests.browser.test_trace_explorer import _sign_in
from tests.ingestion.helpers import event, iso, store
from tests.media.helpers import reference, store_media, tiny_png

pytestmark = [pytest.mark.browser]


@pytest.fixture
def agent_trace(tenant, settings, tmp_path):
    from apps.core.blobs import blob_store

    settings.DATA_DIR = tmp_path
    settings.LANGOPS_S3_BUCKET = ""
    blob_store.cache_clear()
    chart = store_media(tenant.project, tiny_png(48), "image/png", trace_id="agent-1")
    raw = [
        event("trace-create", {"id": "agent-1", "name": "trip planner", "timestamp": iso(0), "tags": ["beta"]}),
        event(
            "agent-create", {"id": "a", "traceId": "agent-1", "name": "planner", "startTime": iso(0), "endTime": iso(8)}
        ),
        event(
            "generation-create",
            {
                "id": "g1",
                "traceId": "agent-1",
                "parentObservationId": "a",
                "name": "decide",
                "startTime": iso(0),
                "endTime": iso(1),
            },
        ),
        event(
            "tool-create",
            {
                "id": "t1",
                "traceId": "agent-1",
                "parentObservationId": "a",
                "name": "weather api",
                "startTime": iso(1),
                "endTime": iso(3),
            },
        ),
        event(
            "guardrail-create",
            {
                "id": "c1",
                "traceId": "agent-1",
                "parentObservationId": "a",
                "name": "safety check",
                "startTime": iso(3),
                "endTime": iso(4),
            },
        ),
        event(
            "generation-create",
            {
                "id": "g2",
                "traceId": "agent-1",
                "parentObservationId": "a",
                "name": "write answer",
                "startTime": iso(4),
                "endTime": iso(8),
                "output": {"text": "## Plan\n\n- **Day 1**: Kyoto", "chart": reference(chart, "image/png")},
            },
        ),
    ]
    store(tenant.project.id, raw)
    yield tenant
    blob_store.cache_clear()


def test_agent_graph_tags_comments_and_media(page: Page, agent_trace, live_server, settings):
    settings.LANGOPS_PUBLIC_URL = live_server.url  # signed media URLs point at this server
    _sign_in(page, agent_trace.users[Role.MEMBER])
    page.goto(f"/project/{agent_trace.project.id}/traces/agent-1/")

    page.get_by_test_id("tab-graph").click()
    graph = page.get_by_test_id("agent-graph")
    expect(graph).to_be_visible()
    nodes = page.get_by_test_id("graph-node")
    expect(nodes).to_have_count(6)
    assert [nodes.nth(i).get_attribute("data-node-type") for i in range(6)] == [
        "TRACE",
        "AGENT",
        "GENERATION",
        "TOOL",
        "GUARDRAIL",
        "GENERATION",
    ]
    page.locator('[data-testid=graph-node][data-node-id="g2"]').click()
    expect(page).to_have_url(
        f"{live_server.url}/project/{agent_trace.project.id}/traces/agent-1/?view=graph&observation=g2"
    )
    expect(page.locator('[data-node-id="g2"]')).to_have_class(re.compile(r"\bis-selected\b"))

    image = page.get_by_test_id("media-image")
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('[data-testid=media-image]').naturalWidth === 48")
    expect(page.get_by_test_id("open-in-playground")).to_be_disabled()

    page.get_by_test_id("tag-input").fill("reviewed")
    page.get_by_role("button", name="Add tag").click()
    expect(page.get_by_test_id("tag")).to_have_text(["beta", "reviewed"])
    expect(page.get_by_test_id("agent-graph")).to_be_visible()  # still on the graph, same selection

    page.get_by_test_id("comment-input").fill("The weather call is the slow part.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_test_id("comment")).to_contain_text("The weather call is the slow part.")
    page.screenshot(path="/tmp/langops-trace-page.png", full_page=True)
