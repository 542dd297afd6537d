"""Every route that takes a body refuses one over its limit with 413 naming the limit (issue
16, item 6): the limits are declared once (server/limits.py), streamed uploads included."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from trailmark.blobs.protocol import MAX_PART_SIZE, MAX_SINGLE_PUT
from trailmark.limits import MAX_METRICS_PER_RECORD, MAX_REQUEST_BYTES
from trailmark.server.access.guard import app_routes
from trailmark.server.app import create_app
from trailmark.server.limits import limit_for, route_limits
from trailmark.server.settings import ServerSettings

ARTIFACT_LIMIT = 1024 * 1024
"""A small artifact limit for the test (the default fits multi-GB model files)."""

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(ServerSettings(data_dir=tmp_path, max_artifact_bytes=ARTIFACT_LIMIT))
    with TestClient(app) as test_client:
        yield test_client
    app.state.store.close()


def concrete(path: str) -> str:
    """The route's path with every parameter filled in."""
    return re.sub(r"\{[^}]+\}", "x", path.replace("{path:path}", "x/artifacts/a.bin"))


def writing_routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every route of the app that may take a body."""
    found = []
    for route in app_routes(client.app.routes):  # type: ignore[attr-defined]
        if route.methods and not route.mount:
            found += [(m, concrete(route.path)) for m in sorted(route.methods & WRITES)]
    assert len(found) > 50
    return found


def chunks(size: int, piece: int = 256 * 1024) -> Iterator[bytes]:
    """A body of ``size`` bytes sent without a Content-Length (chunked)."""
    while size > 0:
        yield b"\0" * min(piece, size)
        size -= piece


def assert_refused(answer: object, limit: int, setting: str | None) -> None:
    assert getattr(answer, "status_code", None) == 413, getattr(answer, "text", answer)
    body = answer.json()  # type: ignore[attr-defined]
    if "error_code" in body:  # an MLflow path: MLflow's body, which its client reads
        assert body["error_code"] == "RESOURCE_LIMIT_EXCEEDED", body
        message = body["message"]
    else:
        message = body["error"]["message"]
    assert str(limit) in message, message
    if setting:
        assert setting in message, message


def test_every_route_refuses_a_declared_body_over_its_limit(client: TestClient) -> None:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    limits = route_limits(settings)
    for method, path in writing_routes(client):
        limit = limit_for(limits, method, path)
        headers = {"Content-Length": str(limit.max_bytes + 1), "Content-Type": "application/json"}
        answer = client.request(method, path, headers=headers, content=b"")
        assert_refused(answer, limit.max_bytes, limit.setting)


def test_an_mlflow_client_gets_its_own_error_body_for_a_body_over_the_limit(
    client: TestClient,
) -> None:
    path = "/api/2.0/mlflow/runs/log-batch"
    headers = {"Content-Length": str(MAX_REQUEST_BYTES + 1), "Content-Type": "application/json"}
    answer = client.post(path, headers=headers, content=b"")
    assert answer.status_code == 413
    assert answer.json()["error_code"] == "RESOURCE_LIMIT_EXCEEDED", answer.text


def test_the_limits_of_the_routes_that_store_bytes(client: TestClient) -> None:
    limits = route_limits(client.app.state.settings)  # type: ignore[attr-defined]
    artifact = limit_for(limits, "PUT", "/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/m.bin")
    assert (artifact.max_bytes, artifact.setting) == (
        ARTIFACT_LIMIT,
        "TRAILMARK_MAX_ARTIFACT_BYTES",
    )
    assert limit_for(limits, "PUT", "/api/v1/projects/p/blobs/d").max_bytes == MAX_SINGLE_PUT
    assert limit_for(limits, "PUT", "/api/v1/projects/p/uploads/u").max_bytes == MAX_PART_SIZE
    assert limit_for(limits, "POST", "/api/v1/ingest").max_bytes == MAX_REQUEST_BYTES
    assert ServerSettings(data_dir=Path(".")).max_artifact_bytes >= 5 * 1024**3


def test_a_streamed_mlflow_artifact_over_the_limit_is_refused_and_not_stored(
    client: TestClient,
) -> None:
    experiment = client.post("/api/2.0/mlflow/experiments/create", json={"name": "e"}).json()
    run = client.post(
        "/api/2.0/mlflow/runs/create", json={"experiment_id": experiment["experiment_id"]}
    ).json()["run"]["info"]["run_id"]
    base = f"/api/2.0/mlflow-artifacts/artifacts/{experiment['experiment_id']}/{run}/artifacts"
    answer = client.put(f"{base}/big.bin", content=chunks(ARTIFACT_LIMIT + 1))
    assert_refused(answer, ARTIFACT_LIMIT, "TRAILMARK_MAX_ARTIFACT_BYTES")
    assert client.put(f"{base}/fits.bin", content=chunks(ARTIFACT_LIMIT)).status_code == 200
    listed = client.get("/api/2.0/mlflow/artifacts/list", params={"run_id": run}).json()
    assert [f["path"] for f in listed["files"]] == ["fits.bin"]


def test_a_streamed_body_over_the_limit_is_refused(client: TestClient) -> None:
    body = chunks(MAX_REQUEST_BYTES + 1, 4 * 1024 * 1024)
    answer = client.post(
        "/api/v1/ingest", content=body, headers={"Content-Type": "application/x-ndjson"}
    )
    assert_refused(answer, MAX_REQUEST_BYTES, None)


def test_a_record_with_more_metrics_than_the_limit_is_refused_by_name(client: TestClient) -> None:
    wide = {f"k{i}": 1.0 for i in range(MAX_METRICS_PER_RECORD + 1)}
    envelope = {"run": "r", "project": "p", "writer": "w"}
    records = [{"t": "m", "q": 1, "s": 0, "w": 1.0, "d": {"loss": 1.0}}]
    records.append({"t": "m", "q": 2, "s": 1, "w": 1.0, "d": wide})
    answer = client.post("/api/v1/ingest", json={"envelope": envelope, "records": records})
    assert_refused(answer, MAX_METRICS_PER_RECORD, None)
    assert "record 1" in answer.json()["error"]["message"]
