"""Exports in a real browser with a real Celery worker: a small table downloads at once; a large one
(above a lowered threshold) becomes a job whose progress the exports page follows to the download;
the fine-tuning export reports the generations it skipped."""

import json

import pytest
from playwright.sync_api import Page, expect

from apps.core.roles import Role
from tests.browser.test_trace_explorer import _sign_in
from tests.ingestion.helpers import event, store
from tests.worker import celery_worker

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture
def generations(tenant):
    from django.utils import timezone

    now = timezone.now().isoformat()
    raw = [event("trace-create", {"id": "t1", "name": "chat", "sessionId": "conv-1", "timestamp": now})]
    for i in range(4):
        raw.append(
            event(
                "generation-create",
                {
                    "id": f"g{i}",
                    "traceId": "t1",
                    "name": "answer",
                    "model": "gpt-4o",
                    "startTime": now,
                    "input": [{"role": "user", "content": f"質問 {i}"}],
                    "output": f"答え {i}" if i else None,  # g0 has no output: skipped by the fine-tuning export
                },
            )
        )
    store(tenant.project.id, raw)
    return tenant


def _export(page: Page, test_id: str) -> None:
    menu = page.get_by_test_id("export-menu")
    menu.locator("summary").click()
    menu.get_by_test_id(test_id).click()


def _wait_done_and_download(page: Page) -> str:
    job = page.get_by_test_id("export-job").first
    expect(job.get_by_test_id("export-status")).to_have_text("Done")  # the page polls until the worker finishes
    with page.expect_download() as download:
        job.get_by_test_id("export-download").click()
    return open(download.value.path(), encoding="utf-8").read()


def test_small_export_downloads_large_one_runs_as_a_job(page: Page, generations, settings):
    settings.EXPORT_DIRECT_MAX_ROWS = 3
    _sign_in(page, generations.users[Role.VIEWER])
    project_id = generations.project.id

    page.goto(f"/project/{project_id}/sessions/")
    with page.expect_download() as download:
        _export(page, "export-csv")
    assert "conv-1" in open(download.value.path(), encoding="utf-8").read()

    with celery_worker(queues="exports"):
        page.goto(f"/project/{project_id}/observations/?model=gpt")
        _export(page, "export-json")
        expect(page).to_have_url(f"/project/{project_id}/exports/")
        rows = json.loads(_wait_done_and_download(page))
        assert sorted(r["id"] for r in rows) == ["g0", "g1", "g2", "g3"]

        page.goto(f"/project/{project_id}/observations/")
        _export(page, "export-finetune")
        lines = _wait_done_and_download(page).splitlines()
        assert len(lines) == 3 and json.loads(lines[0])["messages"][-1]["role"] == "assistant"
        expect(page.get_by_test_id("export-skipped").first).to_contain_text("1 row skipped")
    page.screenshot(path="/tmp/langops-exports.png", full_page=True)
