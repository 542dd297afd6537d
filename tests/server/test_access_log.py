"""The access log: one JSON line per request on stderr (logger ``trailmark.access``), refused
requests included, secrets in query strings hidden, off with a setting (issue 16, item 9)."""

from __future__ import annotations

import http.client
import json
import logging
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from tests.support import ServerProcess
from trailmark.server.access_log import AccessLog, safe_query
from trailmark.server.app import create_app
from trailmark.server.identity import SCOPE_KEY, Identity
from trailmark.server.settings import ServerSettings

SECRET = "s3cr3t-query-token-value"


def access_lines(text: str) -> list[dict[str, Any]]:
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("log") == "access":
                found.append(entry)
    return found


def probe(url: str) -> None:
    """A plain request, one with secrets in its query, a refused host, a refused body."""
    with urllib.request.urlopen(url + "/health") as answer:
        answer.read()
    with urllib.request.urlopen(
        f"{url}/api/v1/projects?token={SECRET}&api_key={SECRET}&search=x"
    ) as answer:
        answer.read()
    host, port = url.removeprefix("http://").split(":")
    for headers, method, path in (
        ({"Host": "evil.example"}, "GET", "/api/v1/projects"),
        (
            {"Content-Length": str(2**40), "Content-Type": "application/json"},
            "POST",
            "/api/v1/ingest",
        ),
    ):
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.putrequest(method, path, skip_host="Host" in headers)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        conn.getresponse().read()
        conn.close()


@pytest.mark.slow
def test_a_real_server_logs_each_request_as_one_json_line(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "on")
    server.start()
    try:
        probe(server.url)
    finally:
        server.stop()  # every line is written once the server has stopped
    log = server.log_path.read_text()
    lines = access_lines(log)
    assert SECRET not in log
    by_path = {(e["method"], e["path"], e["status"]): e for e in lines}
    assert ("GET", "/health", 200) in by_path, lines
    listed = by_path[("GET", "/api/v1/projects", 200)]
    assert "search=x" in listed["query"] and "token=" in listed["query"]
    assert listed["user"] == "anonymous"
    assert listed["ms"] >= 0 and listed["bytes"] > 0 and listed["client"] == "127.0.0.1"
    assert any(e["path"] == "/api/v1/projects" and e["status"] in (400, 403) for e in lines)
    assert ("POST", "/api/v1/ingest", 413) in by_path, lines


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "env"), [(["--no-access-log"], {}), ([], {"TRAILMARK_ACCESS_LOG": "false"})]
)
def test_the_setting_turns_the_access_log_off(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    server = ServerProcess(tmp_path / "off", args=args, env=env)
    server.start()
    try:
        probe(server.url)
    finally:
        server.stop()
    assert access_lines(server.log_path.read_text()) == []


async def _identified_then_failing(scope: Scope, receive: Receive, send: Send) -> None:
    """An app behind the guard: the caller is known, then the handler fails on /boom."""
    scope[SCOPE_KEY] = Identity("ada", authenticated=True)
    if scope["path"] == "/boom":
        raise RuntimeError("boom")
    await PlainTextResponse("hello")(scope, receive, send)


def test_the_line_names_the_user_and_a_failed_handler_is_a_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = AccessLog(_identified_then_failing)
    client = TestClient(app, raise_server_exceptions=False)  # no lifespan: a bare ASGI app
    with caplog.at_level(logging.INFO, logger="trailmark.access"):
        client.get("/hello?password=hunter2&n=1")
        client.get("/boom")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "trailmark.access"]
    assert [(e["path"], e["status"], e["user"], e["bytes"]) for e in lines] == [
        ("/hello", 200, "ada", 5),
        ("/boom", 500, "ada", 0),
    ]
    assert "hunter2" not in caplog.text and "n=1" in lines[0]["query"]


def test_the_app_has_the_access_log_outermost_unless_turned_off(tmp_path: Path) -> None:
    on = create_app(ServerSettings(data_dir=tmp_path / "on"))
    off = create_app(ServerSettings(data_dir=tmp_path / "off", access_log=False))
    classes_on: list[object] = [m.cls for m in on.user_middleware]
    classes_off: list[object] = [m.cls for m in off.user_middleware]
    assert classes_on[0] is AccessLog and AccessLog not in classes_off
    on.state.store.close()
    off.state.store.close()


def test_a_secret_under_an_ordinary_query_name_is_redacted_too() -> None:
    key = "sk-" + "Ab3dEf6hIj9kLm2nOp5qRs8t"
    line = safe_query(f"q={key}&search=loss&sessionid=abc&step=10".encode())
    assert key not in line and "abc" not in line
    assert "search=loss" in line and "step=10" in line
