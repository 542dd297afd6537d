"""Stored HTML, SVG, XML and HTML-looking files opened in Chromium from every route that
serves them: no script runs on the app's origin, and the dashboard still shows a stored image."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect
from playwright.sync_api import Error as PlaywrightError

from tests.server.stored_payloads import ACTIVE, NAME, Seeded, seed_payloads
from tests.support import ServerProcess, start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Seeded]]:
    """A real server holding the payloads, stored through every door over HTTP."""
    server = start_server(tmp_path_factory.mktemp("stored-bytes"))
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            seeded = seed_payloads(client, webhooks=False)
        yield server, seeded
    finally:
        server.stop()


def open_stored(page: Page, url: str) -> str:
    """Open ``url`` as a person would (a link, the address bar): 'download' or 'page'."""
    try:
        page.goto(url, wait_until="load")
    except PlaywrightError as exc:
        if "Download is starting" not in exc.message:
            raise
        return "download"
    return "page"


def test_no_stored_file_runs_script_on_the_apps_origin(
    browser: Browser, stored: tuple[ServerProcess, Seeded], tmp_path: Path
) -> None:
    server, seeded = stored
    context = browser.new_context(accept_downloads=True)
    reached_api: list[str] = []

    def on_request(request: Request) -> None:
        if "stolen=1" in request.url or request.url.endswith("/evil.js"):
            reached_api.append(request.url)

    context.on("request", on_request)
    page = context.new_page()
    opened = {}
    for door, template in seeded.urls.items():
        for file in ACTIVE:
            url = server.url + template.format(file=file)
            opened[f"{door} {file}"] = open_stored(page, url)
            ran = page.evaluate("[window.__stored ?? null, document.title]")
            assert ran[0] is None and ran[1] != "tm-stored-ran", f"script ran from {url}"
    context.close()
    assert not reached_api, f"a stored page ran script that reached the server: {reached_api}"
    assert len(opened) == len(seeded.urls) * len(ACTIVE)
    pages = sorted(door for door, how in opened.items() if how != "download")
    assert not pages, f"opened as pages of the app's origin, not saved: {pages}"


def test_the_dashboard_still_shows_a_stored_image(
    page: Page, stored: tuple[ServerProcess, Seeded]
) -> None:
    server, _seeded = stored
    page.goto(f"{server.url}/projects/{NAME}/artifacts/{NAME}?v=0&file=plot.png")
    img = page.get_by_test_id("preview-image")
    expect(img).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())


def test_a_stored_image_opened_by_its_mlflow_url_is_shown(
    page: Page, stored: tuple[ServerProcess, Seeded]
) -> None:
    """Images stay inline where the type is named (MLflow's UI shows them by URL)."""
    server, seeded = stored
    response = page.goto(server.url + seeded.urls["mlflow run artifact"].format(file="plot.png"))
    assert response is not None and response.headers["content-type"] == "image/png"
    page.wait_for_function("document.images.length === 1 && document.images[0].naturalWidth > 0")
