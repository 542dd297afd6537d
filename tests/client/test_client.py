"""The client against the real app and a scripted server: JSON and bytes, typed errors,
kept-alive connections shared by threads, base paths, credentials, timeouts and https."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.client.conftest import Answer, ScriptedServer
from trailmark.client import NO_RETRY, Client, HttpError, Retry, keep_http_error, quote
from trailmark.errors import InvalidInput, NotFound, TrailmarkError, Unavailable


def test_json_in_and_out_and_typed_errors_from_the_real_app(app_url: str) -> None:
    with Client(app_url) as client:
        assert client.request_json("GET", "/api/v1/projects", search="none")["projects"] == []
        with pytest.raises(NotFound):
            client.request_json("GET", f"/api/v1/projects/{quote('no such/project')}")
        with pytest.raises(InvalidInput):
            client.request(
                "POST", "/api/v1/ingest", content=b"not json\n", content_type="application/x-ndjson"
            )


def test_bytes_and_the_raw_error_for_a_caller_that_classifies_itself(
    scripted: ScriptedServer,
) -> None:
    scripted.plan(
        Answer(body=b"\x00\x01raw", headers=(("Content-Type", "application/octet-stream"),)),
        Answer(
            429,
            b'{"error": {"code": "too_many_requests", "message": "busy"}}',
            headers=(("Retry-After", "7"),),
        ),
    )
    client = Client(scripted.url, retry=NO_RETRY, errors=keep_http_error)
    answer = client.request("POST", "/raw", content=b"\xff" * 10, content_type="x/y")
    assert (answer.status, answer.content, answer.size) == (200, b"\x00\x01raw", 5)
    with pytest.raises(HttpError) as caught:
        client.request("POST", "/raw", content=b"again")
    assert (caught.value.status, caught.value.code, caught.value.retry_after) == (
        429,
        "too_many_requests",
        7.0,
    )
    first, second = scripted.seen
    assert (first.body, first.headers["Content-Type"]) == (b"\xff" * 10, "x/y")
    assert second.body == b"again"
    client.close()


def test_connections_are_kept_alive_and_shared_by_threads(app_url: str) -> None:
    client = Client(app_url)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                client.request_json("GET", "/api/v1/projects")
        except BaseException as exc:  # reported below, on the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(client._pool._idle) <= 8  # at most one connection per thread was opened
    client.close()
    assert client._pool._idle == []
    assert client.request_json("GET", "/api/v1/projects") is not None  # reopens after close


def test_one_connection_carries_sequential_requests(scripted: ScriptedServer) -> None:
    with Client(scripted.url) as client:
        for _ in range(5):
            client.request_json("GET", "/x")
    assert scripted.connections() == 1


def test_the_base_path_and_query_parameters(scripted: ScriptedServer) -> None:
    with Client(scripted.url + "/tracker/") as client:
        client.request_json("GET", "/api/v1/runs", keys=["a", "b"], skipped=None, n=3)
        client.request("PUT", "/api/v1/u?offset=5", params={"part": 2})
    assert [s.path for s in scripted.seen] == [
        "/tracker/api/v1/runs?keys=a&keys=b&n=3",
        "/tracker/api/v1/u?offset=5&part=2",
    ]


def test_credentials_come_from_one_hook_asked_before_every_try(scripted: ScriptedServer) -> None:
    tokens = iter(["t1", "t2", "t3"])
    scripted.plan(Answer(503), Answer())
    client = Client(
        scripted.url,
        retry=Retry(backoff=0.01),
        auth=lambda: {"Authorization": f"Bearer {next(tokens)}"},
    )
    client.request_json("GET", "/a")
    client.stream("PUT", "/b", upload=b"bytes")
    assert [s.headers.get("Authorization") for s in scripted.seen] == [
        "Bearer t1",
        "Bearer t2",
        "Bearer t3",
    ]
    plain = Client(scripted.url)
    plain.request_json("GET", "/c")
    assert "Authorization" not in scripted.seen[-1].headers


def test_a_server_that_does_not_answer_in_time_is_unavailable(scripted: ScriptedServer) -> None:
    scripted.plan(Answer(delay=2.0))
    client = Client(scripted.url, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(Unavailable, match=r"did not answer within 0\.3 s"):
        client.request_json("GET", "/slow")
    assert time.monotonic() - started < 1.5, "a timeout is not retried"


def test_a_bad_url_is_refused() -> None:
    with pytest.raises(ValueError, match="http://host:port"):
        Client("ftp://example.com")


def test_an_error_body_that_is_not_trailmarks_keeps_its_text(scripted: ScriptedServer) -> None:
    scripted.plan(Answer(502, b"<html>bad gateway</html>", headers=()))
    with pytest.raises(TrailmarkError, match="bad gateway"):
        Client(scripted.url).request_json("POST", "/x", {"a": 1})


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_with_the_callers_trust_store(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = ScriptedServer(tls)
    try:
        assert server.url.startswith("https://")
        trusted = ssl.create_default_context(cafile=str(cert))
        with Client(server.url, ssl_context=trusted) as client:
            assert client.request_json("GET", "/secure") == {"ok": True}
            assert client.request_json("GET", "/again") == {"ok": True}
        assert server.connections() == 1
        with pytest.raises(Unavailable, match="CERTIFICATE_VERIFY_FAILED"):
            Client(server.url, retry=NO_RETRY).request_json("GET", "/untrusted")
    finally:
        server.close()
