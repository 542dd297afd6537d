"""In-process app fixtures: ``client`` is a TestClient over a fresh SQLite data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(ServerSettings(data_dir=tmp_path))
    with TestClient(app) as test_client:
        yield test_client
    app.state.store.close()


def ingest(
    client: TestClient,
    run: str,
    records: list[dict[str, Any]],
    project: str = "p",
    writer: str = "w1",
) -> None:
    envelope = {"run": run, "project": project, "writer": writer}
    response = client.post("/api/v1/ingest", json={"envelope": envelope, "records": records})
    assert response.status_code == 200, response.text


def metric_records(steps: int, **scale: float) -> list[dict[str, Any]]:
    return [
        {"t": "m", "q": i + 1, "s": i, "w": 1000.0 + i, "d": {k: v * i for k, v in scale.items()}}
        for i in range(steps)
    ]
