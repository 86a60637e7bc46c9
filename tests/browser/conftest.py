"""Fixtures for the browser tests: Debian's Chromium driven by Playwright's sync API.

Never run `playwright install`: the tests use the system Chromium at /usr/bin/chromium
(scripts/test.sh installs it). Without it, every browser test is skipped with the reason.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
# Auto-waiting assertions give up after this long (Playwright's default is 5 s; CI can be slow).
EXPECT_TIMEOUT_MS = 15_000


def chromium_available() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


@pytest.fixture(scope="module")
def _allow_sync_db_under_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop running in the test thread, and Django then
    refuses synchronous ORM calls from that thread (the test's own queries and the flush of
    `transactional_db`). Allow them, but only while browser tests run: the flag is
    process-wide, and other tests in the same worker must keep Django's async-safety check.
    """
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    yield
    if previous is None:
        os.environ.pop(ASYNC_UNSAFE, None)
    else:
        os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="module")
def browser(_allow_sync_db_under_playwright):
    if not chromium_available():
        hint = "apt-get install chromium" if shutil.which("apt-get") else "install Chromium"
        pytest.skip(f"{CHROMIUM} is absent ({hint}; scripts/test.sh does it)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) whose relative URLs resolve against the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
