"""Secrets that reach the server without the SDK (a script posting to the native API, a
hand-made ingest batch) are redacted where the server receives them, by the same rules as the
SDK's (:mod:`trailmark.redact`), on both databases (issue 16 item 5)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from trailmark.redact import REDACTED
from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings

GITHUB_TOKEN = "ghp_" + "aB3" * 12
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"


@pytest.fixture
def client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(ServerSettings(data_dir=tmp_path, db_url=database_url))
    with TestClient(app) as test_client:
        yield test_client
    app.state.store.close()


def run_of(client: TestClient, run: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/projects/p/runs/{run}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_config_and_properties_set_through_the_native_api_are_redacted(
    client: TestClient,
) -> None:
    created = client.post(
        "/api/v1/projects/p/runs",
        json={
            "id": "native",
            "config": {"lr": 0.1, "db_pass": "hunter2", "tokenizer": "gpt2"},
            "properties": {"auth": "basic-xyz", "git": f"https://x:{GITHUB_TOKEN}@github.com/o/r"},
        },
    )
    assert created.status_code == 201, created.text
    changed = client.patch(
        "/api/v1/projects/p/runs/native",
        json={"config": {"lr": 0.2, "note": f"key {AWS_KEY_ID}", "pwd": "s3cret"}},
    )
    assert changed.status_code == 200, changed.text
    run = run_of(client, "native")
    assert run["config"] == {"lr": 0.2, "note": f"key {REDACTED}", "pwd": REDACTED}
    assert run["properties"] == {"auth": REDACTED, "git": f"https://x:{REDACTED}@github.com/o/r"}


def test_config_in_an_ingest_batch_from_a_client_without_the_sdk_is_redacted(
    client: TestClient,
) -> None:
    envelope = {"run": "posted", "project": "p", "writer": "w1"}
    records = [
        {"t": "run", "q": 1, "w": 1.0, "config": {"passphrase": "open sesame", "epochs": 3}},
        {"t": "cfg", "q": 2, "w": 2.0, "d": {"hook": "https://hooks.slack.com/services/T0/B0/X1"}},
    ]
    response = client.post("/api/v1/ingest", json={"envelope": envelope, "records": records})
    assert response.status_code == 200, response.text
    assert run_of(client, "posted")["config"] == {
        "passphrase": REDACTED,
        "epochs": 3,
        "hook": f"https://hooks.slack.com/services/{REDACTED}",
    }
