"""The console's first-run flow in a real browser, against the live server.

Sign up -> create an organization -> create a project -> create an API key (secret shown
once) -> use the key on the public API -> switch the console to Japanese.
"""

import re

import pytest
import requests
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser]

SCREENSHOT = "/tmp/langops-browser.png"
NAME = "Ada Browser"
EMAIL = "ada.browser@example.com"
PASSWORD = "Quartz-Lantern-4817!"
ORGANIZATION = "Browser Org"
PROJECT = "Browser Project"
NOTE = "browser test key"


def _watch_static(page: Page, live_server_url: str) -> list[str]:
    """Collect the console's own static assets that fail to load."""
    failures: list[str] = []
    static_prefix = f"{live_server_url}/static/"

    def on_response(response):
        if response.url.startswith(static_prefix) and response.status >= 400:
            failures.append(f"{response.status} {response.url}")

    def on_failed(request):
        if request.url.startswith(static_prefix):
            failures.append(f"failed {request.url}: {request.failure}")

    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    return failures


def test_signup_to_api_key_to_japanese(page: Page, live_server):
    static_failures = _watch_static(page, live_server.url)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    # 1. Sign up: lands on "New organization".
    page.goto("/accounts/signup/")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.get_by_label("Name", exact=True).fill(NAME)
    page.get_by_label("E-mail", exact=True).fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/organization/new/$"))
    expect(page.get_by_role("heading", name="New organization", level=1)).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_have_text(NAME)

    # The stylesheet is served and applied (the live server serves static files).
    expect(page.locator("body")).to_have_css("background-color", "rgb(246, 247, 249)")  # --bg in app.css

    # 2. Create an organization: lands on its projects page with a "New project" form.
    page.locator("input[name='name']").fill(ORGANIZATION)
    page.get_by_role("button", name="Create organization").click()
    expect(page).to_have_url(re.compile(r"/organization/[^/]+/$"))
    expect(page.get_by_role("heading", name="Projects", level=1)).to_be_visible()
    expect(page.get_by_test_id("org-switcher")).to_have_text(ORGANIZATION)
    expect(page.get_by_text("This organization has no projects yet.")).to_be_visible()
    expect(page.get_by_role("heading", name="New project")).to_be_visible()

    # 3. Create a project: redirected to its API keys page.
    page.locator("#project-name").fill(PROJECT)
    page.get_by_role("button", name="Create project").click()
    expect(page).to_have_url(re.compile(r"/project/[^/]+/settings/api-keys/$"))
    keys_url = page.url
    project_id = re.search(r"/project/([^/]+)/", keys_url).group(1)
    expect(page.get_by_role("heading", name="API keys", level=1)).to_be_visible()
    expect(page.get_by_test_id("project-switcher")).to_have_text(PROJECT)
    expect(page.get_by_text("No API keys yet.")).to_be_visible()

    # 4. Create an API key: both halves and the env snippet are shown, once.
    page.locator("#key-note").fill(NOTE)
    page.get_by_test_id("create-key").click()
    expect(page).to_have_url(keys_url)
    public_el = page.get_by_test_id("new-public-key")
    secret_el = page.get_by_test_id("new-secret-key")
    expect(public_el).to_have_text(re.compile(r"^pk-lf-\S+$"))
    expect(secret_el).to_have_text(re.compile(r"^sk-lf-\S+$"))
    public_key = public_el.inner_text().strip()
    secret_key = secret_el.inner_text().strip()
    snippet = page.get_by_test_id("env-snippet")
    expect(snippet).to_contain_text(f'LANGFUSE_PUBLIC_KEY="{public_key}"')
    expect(snippet).to_contain_text(f'LANGFUSE_SECRET_KEY="{secret_key}"')
    key_row = page.locator("table tbody tr", has_text=public_key)
    expect(key_row).to_contain_text(NOTE)

    page.reload()
    expect(page.get_by_role("heading", name="API keys", level=1)).to_be_visible()
    expect(page.locator("table tbody tr", has_text=public_key)).to_contain_text(NOTE)
    expect(page.get_by_test_id("new-key")).to_have_count(0)
    expect(page.get_by_test_id("new-secret-key")).to_have_count(0)
    assert secret_key not in page.content(), "the secret key is shown again after a reload"

    # 5. The key works on the live server's public API.
    # "Connection: close" and closing the response: a keep-alive socket left open would keep a
    # live-server thread, and its database connection, alive past the end of the test, and
    # PostgreSQL then refuses to drop the test database.
    with requests.get(
        f"{live_server.url}/api/public/projects",
        auth=(public_key, secret_key),
        headers={"Connection": "close"},
        timeout=10,
    ) as response:
        assert response.status_code == 200, response.text
        projects = response.json()["data"]
    assert [p["name"] for p in projects] == [PROJECT]
    assert projects[0]["organization"]["name"] == ORGANIZATION
    assert projects[0]["id"] == project_id

    # 6. Switch the console to Japanese (the select submits its form on change).
    language = page.get_by_test_id("language-select")
    expect(language).to_have_value("en")
    language.select_option("ja")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page).to_have_url(keys_url)
    expect(page.get_by_role("heading", name="APIキー", level=1)).to_be_visible()
    expect(page.locator(".sidebar").get_by_role("link", name="APIキー", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="APIキーを作成")).to_be_visible()
    expect(page.get_by_test_id("create-key")).to_have_text("APIキーを作成")
    expect(page.get_by_text("API keys", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("language-select")).to_have_value("ja")

    # 7. A screenshot for humans (not asserted on).
    page.screenshot(path=SCREENSHOT, full_page=True)

    assert static_failures == [], f"static assets failed to load: {static_failures}"
    assert page_errors == [], f"JavaScript errors on the page: {page_errors}"
