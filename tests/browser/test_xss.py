"""User text with HTML and script payloads is shown as text in every page; no script runs."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.seed import HOSTILE_PROJECT, PAYLOAD
from tests.support import ServerProcess

pytestmark = pytest.mark.browser


def assert_no_script_ran(page: Page) -> None:
    assert page.evaluate("window.__xss") is None, "an injected script ran"
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("svg[onload]").count() == 0


def test_workspace_and_run_page_show_payloads_as_text(
    page: Page, seeded_server: ServerProcess
) -> None:
    page.goto(f"{seeded_server.url}/projects/{HOSTILE_PROJECT}")
    expect(page.get_by_test_id("run-name").first).to_contain_text("<img src=x")
    expect(page.get_by_test_id("panel").first).to_be_visible()
    assert_no_script_ran(page)

    page.goto(f"{seeded_server.url}/projects/{HOSTILE_PROJECT}/runs/hostile1")
    expect(page.get_by_test_id("run-overview")).to_be_visible()
    expect(page.get_by_test_id("config-tree")).to_contain_text("<script>")
    expect(page.get_by_test_id("notes-editor")).to_have_value(PAYLOAD)
    expect(page.get_by_test_id("tags-editor")).to_contain_text("<b>bold</b>")
    assert_no_script_ran(page)


def test_responses_carry_a_content_security_policy(
    page: Page, seeded_server: ServerProcess
) -> None:
    response = page.goto(f"{seeded_server.url}/projects/{HOSTILE_PROJECT}")
    assert response is not None
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
