"""Webhooks: signed deliveries from a background worker, retried, logged; private targets refused."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.server.webhook_receiver import receiver
from tests.support import wait_for
from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings
from trailmark.server.webhook_http import WebhookRefused, post, resolve_target

SECRET = "s3cret-s3cret-s3cret"


@pytest.fixture
def trusting_client(tmp_path: Path) -> Iterator[TestClient]:
    """A server that lets webhooks reach loopback (the receiver runs there), with fast retries."""
    app = create_app(ServerSettings(data_dir=tmp_path, webhooks_allow_private=True))
    with TestClient(app) as client:
        worker = app.state.webhook_worker
        worker.base_delay, worker.poll_interval, worker.max_attempts = 0.05, 0.05, 3
        yield client
    app.state.store.close()


def register_version(client: TestClient) -> None:
    data = b"weights"
    digest = hashlib.sha256(data).hexdigest()
    client.put(f"/api/v1/projects/p/blobs/{digest}", content=data)
    files = [{"path": "w.bin", "size": len(data), "digest": digest}]
    client.post("/api/v1/projects/p/artifacts/clf/versions", json={"files": files, "type": "model"})
    assert (
        client.post("/api/v1/models/fraud/versions", json={"source": "artifact:p/clf"}).status_code
        == 201
    )


def finished_deliveries(client: TestClient, hook: int) -> list[dict[str, Any]]:
    found = client.get(f"/api/v1/webhooks/{hook}/deliveries").json()["deliveries"]
    return [d for d in found if d["status"] != "pending"]


def test_a_delivery_is_signed_retried_and_logged(trusting_client: TestClient) -> None:
    with receiver((500, {}), (200, {})) as rx:
        hook = trusting_client.post(
            "/api/v1/webhooks",
            json={"url": rx.url + "/hooks?x=1", "events": ["version_created"], "secret": SECRET},
        ).json()
        assert hook["secret"] == SECRET
        assert "secret" not in trusting_client.get(f"/api/v1/webhooks/{hook['id']}").json()
        register_version(trusting_client)
        done = wait_for(
            lambda: finished_deliveries(trusting_client, hook["id"]), 10, "the delivery"
        )
    delivery = done[0]
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 2)
    assert [entry["status"] for entry in delivery["log"]] == [500, 200]
    assert len(rx.received) == 2 and rx.received[0].body == rx.received[1].body
    got = rx.received[-1]
    assert got.path == "/hooks?x=1"
    expected = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["X-Trailmark-Signature"], expected)
    assert got.headers["X-Trailmark-Event"] == "version_created"
    assert got.headers["X-Trailmark-Delivery"] == str(delivery["id"])
    payload = orjson.loads(got.body)
    assert (payload["event"], payload["model"], payload["version"]) == (
        "version_created",
        "fraud",
        1,
    )
    assert payload["user"] == "anonymous" and payload["data"]["source"] == "artifact:p/clf"


def test_only_the_events_a_webhook_wants_are_sent(trusting_client: TestClient) -> None:
    with receiver() as rx:
        trusting_client.post(
            "/api/v1/webhooks", json={"url": rx.url, "events": ["alias_moved"], "model": "fraud"}
        )
        register_version(trusting_client)
        trusting_client.put("/api/v1/models/fraud/aliases/champion", json={"version": 1})
        wait_for(lambda: rx.received, 10, "the alias event")
        time.sleep(0.3)  # give a wrongly queued event the chance to arrive
    events = [orjson.loads(r.body)["event"] for r in rx.received]
    assert events == ["alias_moved"]
    assert orjson.loads(rx.received[0].body)["data"] == {"alias": "champion", "from": None, "to": 1}


def test_failures_stop_after_the_last_attempt(trusting_client: TestClient) -> None:
    with receiver((503, {}), (503, {}), (503, {}), (503, {})) as rx:
        hook = trusting_client.post("/api/v1/webhooks", json={"url": rx.url}).json()
        trusting_client.post(f"/api/v1/webhooks/{hook['id']}/ping")
        done = wait_for(lambda: finished_deliveries(trusting_client, hook["id"]), 10, "giving up")
    assert (done[0]["status"], done[0]["attempts"], done[0]["last_status"]) == ("failed", 3, 503)
    assert len(rx.received) == 3


def test_redirects_are_not_followed(trusting_client: TestClient) -> None:
    with receiver() as elsewhere, receiver((302, {"Location": "http://127.0.0.1:1/"})) as rx:
        rx.answers[0] = (302, {"Location": elsewhere.url + "/stolen"})
        hook = trusting_client.post("/api/v1/webhooks", json={"url": rx.url}).json()
        trusting_client.post(f"/api/v1/webhooks/{hook['id']}/ping")
        done = wait_for(
            lambda: finished_deliveries(trusting_client, hook["id"]), 10, "the delivery"
        )
    assert done[0]["status"] == "failed" and done[0]["attempts"] == 1
    assert "redirect" in done[0]["last_error"] and "not followed" in done[0]["last_error"]
    assert elsewhere.received == []


PRIVATE_TARGETS = [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:9000/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://0.0.0.0/hook",
]


def test_private_targets_are_refused(client: TestClient) -> None:
    for url in PRIVATE_TARGETS:
        response = client.post("/api/v1/webhooks", json={"url": url})
        assert response.status_code == 400, (url, response.text)
        assert response.json()["error"]["code"] == "webhook_refused"
        assert "--webhooks-allow-private" in response.json()["error"]["message"]
    assert client.get("/api/v1/webhooks").json()["webhooks"] == []


def test_targets_are_checked_again_when_delivering() -> None:
    # A host that resolved to a public address when the webhook was made may not now.
    attempt = post("http://127.0.0.1:9/x", b"{}", SECRET, {}, allow_private=False)
    assert not attempt.ok and not attempt.retry and "non-public" in (attempt.error or "")
    with pytest.raises(WebhookRefused, match="non-public"):
        resolve_target("http://[fe80::1]/x", allow_private=False)


def test_bad_webhook_settings_are_explained(client: TestClient) -> None:
    for body in (
        {"url": "ftp://example.com/x"},
        {"url": "https://user:pw@example.com/x"},
        {"url": "https://example.com/x", "events": ["everything"]},
    ):
        response = client.post("/api/v1/webhooks", json=body)
        assert response.status_code == 400, body
