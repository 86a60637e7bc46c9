"""The trace explorer in a real browser: a Dify-shaped trace with a failing step, the traces
table filtered, a session replayed and the table exported."""

import pytest
from playwright.sync_api import Page, expect

from apps.core.roles import Role
from tests.factories import PASSWORD
from tests.ingestion.helpers import event, iso, store

pytestmark = [pytest.mark.browser]


@pytest.fixture
def explorer(tenant):

    raw = [
        event(
            "trace-create",
            {
                "id": "wf-1",
                "name": "workflow",
                "userId": "alice",
                "sessionId": "conv-9",
                "tags": ["dify"],
                "timestamp": iso(0),
                "input": {"query": "東京の天気は？"},
            },
        ),
        event(
            "span-create",
            {"id": "run-1", "traceId": "wf-1", "name": "workflow run", "startTime": iso(0), "endTime": iso(6)},
        ),
        event(
            "generation-create",
            {
                "id": "llm-1",
                "traceId": "wf-1",
                "parentObservationId": "run-1",
                "name": "answer",
                "model": "gpt-4o",
                "startTime": iso(1),
                "endTime": iso(5),
                "input": [{"role": "user", "content": "東京の天気は？"}],
                "output": {"role": "assistant", "content": "晴れです。"},
                "usageDetails": {"input": 12, "output": 6},
            },
        ),
        event(
            "span-create",
            {
                "id": "code-1",
                "traceId": "wf-1",
                "parentObservationId": "run-1",
                "name": "code node",
                "startTime": iso(5),
                "endTime": iso(5.5),
                "level": "ERROR",
                "statusMessage": "ZeroDivisionError: division by zero",
            },
        ),
        event(
            "trace-create",
            {
                "id": "wf-2",
                "name": "follow-up",
                "userId": "alice",
                "sessionId": "conv-9",
                "timestamp": iso(60),
                "input": "明日は？",
                "output": "雨です。",
                "metadata": {"channel": "line"},
            },
        ),
        event("trace-create", {"id": "other", "name": "healthcheck", "userId": "bot", "timestamp": iso(90)}),
    ]
    store(tenant.project.id, raw)
    return tenant


def _sign_in(page: Page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url("/accounts/login/")


def test_explore_a_failing_trace_filter_replay_and_export(page: Page, explorer):
    _sign_in(page, explorer.users[Role.MEMBER])
    page.goto(f"/project/{explorer.project.id}/traces/")
    expect(page.get_by_role("link", name="healthcheck")).to_be_visible()

    page.fill("input[name=user]", "alice")
    page.check("input[name=errors]")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.get_by_role("link", name="workflow", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="healthcheck")).to_have_count(0)
    expect(page.get_by_role("link", name="follow-up")).to_have_count(0)

    page.get_by_test_id("export-menu").locator("summary").click()
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    exported = open(download.value.path(), encoding="utf-8").read()
    assert "wf-1" in exported and "healthcheck" not in exported

    page.get_by_role("link", name="workflow", exact=True).click()
    rows = page.get_by_test_id("tree-row")
    expect(rows).to_have_count(3)
    rows.first.locator("[data-tree-toggle]").click()  # collapse "workflow run"
    expect(page.get_by_role("link", name="code node")).to_be_hidden()
    expect(page).to_have_url(f"/project/{explorer.project.id}/traces/wf-1/")  # toggling does not navigate
    rows.first.locator("[data-tree-toggle]").click()
    expect(page.get_by_role("link", name="code node")).to_be_visible()
    expect(page.get_by_text("東京の天気は？")).to_be_visible()
    page.get_by_role("link", name="code node").click()
    expect(page.get_by_test_id("status-message")).to_contain_text("division by zero")
    page.get_by_role("link", name="answer").click()
    expect(page.get_by_test_id("output-chat")).to_contain_text("晴れです。")

    page.goto(f"/project/{explorer.project.id}/sessions/")
    page.get_by_role("link", name="conv-9").click()
    replay = page.get_by_test_id("session-replay")
    expect(replay).to_contain_text("東京の天気は？")
    expect(replay).to_contain_text("雨です。")
    page.screenshot(path="/tmp/langops-explorer.png", full_page=True)


def test_filter_by_metadata_search_japanese_save_a_view_and_choose_columns(page: Page, explorer):
    from apps.traces.tasks import index_pending

    index_pending()  # what the beat-scheduled indexer does within seconds of ingestion
    _sign_in(page, explorer.users[Role.VIEWER])
    page.goto(f"/project/{explorer.project.id}/traces/")
    table = page.get_by_test_id("traces-table")

    # A metadata condition from the filter builder.
    page.get_by_test_id("add-filter").click()
    page.get_by_test_id("filter-column").select_option("metadata:stringObject")
    page.get_by_test_id("filter-key").fill("channel")
    page.get_by_test_id("filter-value").fill("line")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(table.get_by_role("link", name="follow-up")).to_be_visible()
    expect(table.get_by_role("link", name="workflow", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("filter-key")).to_have_value("channel")  # the builder shows what applies

    # Full-text search in Japanese: a word inside the trace's input, without spaces around it.
    page.goto(f"/project/{explorer.project.id}/traces/")
    page.get_by_test_id("search").fill("天気")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(table.get_by_role("link", name="workflow", exact=True)).to_be_visible()
    expect(table.get_by_role("link", name="follow-up")).to_have_count(0)
    expect(table.get_by_role("link", name="healthcheck")).to_have_count(0)

    # Save it as a personal view, leave, and come back through the menu.
    page.get_by_test_id("saved-views").locator("summary").click()
    page.fill("#view-name", "天気の質問")
    page.get_by_role("button", name="Save view").click()
    page.goto(f"/project/{explorer.project.id}/traces/")
    page.get_by_test_id("saved-views").locator("summary").click()
    page.get_by_role("link", name="天気の質問").click()
    expect(page.get_by_test_id("search")).to_have_value("天気")
    expect(table.get_by_role("link", name="follow-up")).to_have_count(0)

    # Choose columns: release appears, tokens go.
    page.get_by_test_id("column-chooser").locator("summary").click()
    page.get_by_role("checkbox", name="Release").check()
    page.get_by_role("checkbox", name="Tokens").uncheck()
    page.get_by_role("button", name="Apply").click()
    expect(table.get_by_role("columnheader", name="Release")).to_be_visible()
    expect(table.get_by_role("columnheader", name="Tokens")).to_have_count(0)
    expect(page.get_by_test_id("search")).to_have_value("天気")  # the filters stay
    page.get_by_test_id("add-filter").click()
    page.screenshot(path="/tmp/langops-traces-table.png", full_page=True)
