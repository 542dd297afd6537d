"""Browser fixtures: Debian's Chromium driven by Playwright against a real, seeded server.

Screenshots land in build/screenshots/ (ignored by git), so a test run leaves the tree clean;
`make screenshots` runs these tests and copies them into docs/screenshots/ (named in the README)
when a person wants to refresh the docs. Any console error on a page fails the test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.browser.seed import seed, seed_hostile, seed_long
from tests.support import ServerProcess, start_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
WEB_DIST = ROOT / "src" / "trailmark" / "web_dist"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not (WEB_DIST / "index.html").is_file():
        pytest.fail("the dashboard is not built: run `make ui`")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def seeded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("browser-data")
    seed(data_dir)
    seed_long(data_dir)
    seed_hostile(data_dir)
    server = start_server(data_dir)
    yield server
    server.stop()


class ConsoleErrors(list[str]):
    """Console errors of a page; a test that provokes API errors on purpose allows those."""

    http_errors_expected = False

    def unexpected(self) -> list[str]:
        if not self.http_errors_expected:
            return list(self)
        return [
            e for e in self if not e.startswith("Failed to load resource: the server responded")
        ]


def expect_http_errors(page: Page) -> None:
    """This test provokes 4xx answers on purpose: the browser's log lines for them are fine."""
    page.console_errors.http_errors_expected = True  # type: ignore[attr-defined]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors = ConsoleErrors()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()
    assert not errors.unexpected(), f"console errors on the page: {errors.unexpected()}"


def screenshot(page: Page, name: str) -> None:
    """Save the page as build/screenshots/<name>-<theme>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    theme = page.evaluate("document.documentElement.dataset.theme || 'light'")
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{theme}.png"), full_page=False)
