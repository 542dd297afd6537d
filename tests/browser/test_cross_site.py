"""A page on another origin cannot make a real Chromium change a running Trailmark server,
and the dashboard the server serves still can.

The attacker's pages come from a tiny ``http.server`` on another port: once as
``http://localhost:<port>`` (another site than ``http://127.0.0.1:<server port>``) and once
as ``http://127.0.0.1:<port>`` (the *same site*, another origin). Each sends what a browser
lets any page send without asking: a plain HTML form (``text/plain``, urlencoded) and
``fetch(..., {mode: "no-cors"})`` with a string or a typeless ``Blob`` body.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import expect_http_errors
from tests.browser.seed import PROJECT, seed
from tests.ports import free_port
from tests.support import ServerProcess, start_server, wait_for

pytestmark = pytest.mark.browser

ENVELOPE = '{"run": "csrf-run", "project": "csrf", "writer": "w1"}'
RECORD = '{"t": "m", "q": 1, "s": 0, "w": 1767225600.0, "d": {"stolen": 1}}'


def attack_pages(target: str) -> dict[str, str]:
    """Path -> HTML of the attacker's pages, aimed at the server at ``target``."""
    mlflow = f"{target}/api/2.0/mlflow"
    # The text/plain form trick: the name and value, joined by "=", make a JSON object.
    text_form = f"""<form method="POST" enctype="text/plain" action="{mlflow}/experiments/create">
      <input name='{{"name": "csrf-form", "pad": "' value='"}}'></form>"""
    ingest_form = f"""<form method="POST" enctype="text/plain" action="{target}/api/v1/ingest">
      <input name='{ENVELOPE}\n{RECORD[:-1]}, "x": "' value='"}}\n'></form>"""
    url_form = f"""<form method="POST" action="{target}/api/v1/projects">
      <input name="name" value="csrf-urlencoded"></form>"""
    submit = "<script>document.forms[0].submit()</script>"
    fetches = f"""<script>
      window.done = Promise.allSettled([
        fetch("{target}/api/v1/ingest", {{method: "POST", mode: "no-cors",
              body: {json.dumps(ENVELOPE + chr(10) + RECORD + chr(10))}}}),
        fetch("{mlflow}/experiments/create", {{method: "POST", mode: "no-cors",
              body: new Blob([JSON.stringify({{name: "csrf-blob"}})])}}),
        fetch("{mlflow}/experiments/create", {{method: "POST", mode: "no-cors",
              headers: {{"Content-Type": "application/json"}},
              body: JSON.stringify({{name: "csrf-fetch"}})}}),
      ]).then(results => results.map(r => r.status));
    </script>"""
    return {
        "/text-form": text_form + submit,
        "/ingest-form": ingest_form + submit,
        "/urlencoded-form": url_form + submit,
        "/no-cors": fetches,
    }


class AttackerSite:
    """An ``http.server`` on its own port serving :func:`attack_pages`."""

    def __init__(self, target: str) -> None:
        pages = attack_pages(target)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path, "not here").encode()
                self.send_response(200 if self.path in pages else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.port = free_port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp("cross-site")
    seed(data_dir, runs=1)
    server = start_server(data_dir)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def attacker(server: ServerProcess) -> Iterator[AttackerSite]:
    site = AttackerSite(server.url)
    yield site
    site.close()


def get_json(url: str) -> tuple[int, Any]:
    """A program's GET (no browser headers): status and body."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def nothing_was_changed(server: ServerProcess) -> None:
    for name in ("csrf-form", "csrf-blob", "csrf-fetch"):
        status, _ = get_json(
            f"{server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name={name}"
        )
        assert status == 404, f"a page on another origin created the experiment {name!r}"
    status, projects = get_json(f"{server.url}/api/v1/projects")
    assert status == 200
    names = json.dumps(projects)
    assert "csrf" not in names, f"a page on another origin created a project: {names}"


ORIGINS = {"another site": "localhost", "the same site, another port": "127.0.0.1"}


@pytest.mark.parametrize("where", sorted(ORIGINS))
def test_a_page_on_another_origin_changes_nothing(
    page: Page, server: ServerProcess, attacker: AttackerSite, where: str
) -> None:
    expect_http_errors(page)
    site = f"http://{ORIGINS[where]}:{attacker.port}"
    answers: list[Response] = []
    page.on(
        "response",
        lambda r: (
            answers.append(r)
            if r.url.startswith(server.url) and r.request.method == "POST"
            else None
        ),
    )
    for form in ("/text-form", "/ingest-form", "/urlencoded-form"):
        with page.expect_response(lambda r: r.url.startswith(server.url)) as sent:
            page.goto(site + form)
        assert sent.value.status == 403, (form, sent.value.status, sent.value.text())
        assert "cross-site request refused" in sent.value.text()
    page.goto(site + "/no-cors")
    page.evaluate("window.done")
    wait_for(lambda: len(answers) >= 6, 10, "the no-cors requests to reach the server")
    assert [a.status for a in answers] == [403] * len(answers)
    nothing_was_changed(server)


def test_the_dashboard_still_changes_data(page: Page, server: ServerProcess) -> None:
    page.goto(f"{server.url}/projects/{PROJECT}/runs/run00")
    editor = page.get_by_test_id("notes-editor")
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.type("saved from the dashboard")
    page.keyboard.press("Control+Enter")
    wait_for(
        lambda: (
            "saved from the dashboard"
            in get_json(f"{server.url}/api/v1/projects/{PROJECT}/runs/run00")[1]["notes"]
        ),
        10,
        "the dashboard's notes to be saved",
        interval=0.1,
    )
    # A same-origin script on the dashboard's page, as the dashboard's API client writes.
    status = page.evaluate(
        """fetch("/api/2.0/mlflow/experiments/create", {method: "POST",
             headers: {"Content-Type": "application/json"},
             body: JSON.stringify({name: "from-the-dashboard"})}).then(r => r.status)"""
    )
    assert status == 200
    found, _ = get_json(
        f"{server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=from-the-dashboard"
    )
    assert found == 200
