"""Bad input over REST gets a clear, typed error with the right status."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tests.support import ServerProcess


@pytest.fixture
def api(server: ServerProcess) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30)
    envelope = {"run": "r1", "project": "p", "writer": "w1"}
    records = [{"t": "m", "q": 1, "s": 0, "w": 1.0, "d": {"loss": 1.0}}]
    assert (
        client.post("/api/v1/ingest", json={"envelope": envelope, "records": records}).status_code
        == 200
    )
    return client


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return str(body["error"]["message"])


def test_unknown_project_and_run_are_404(api: httpx.Client) -> None:
    assert "project 'nope'" in error_of(api.get("/api/v1/projects/nope"), 404)
    assert "run 'zzz'" in error_of(api.get("/api/v1/projects/p/runs/zzz"), 404)
    assert "project 'nope'" in error_of(api.get("/api/v1/projects/nope/runs"), 404)
    assert "no metric 'nope'" in error_of(
        api.get("/api/v1/projects/p/runs/r1/series", params={"key": "nope"}), 404
    )
    assert "endpoint" in error_of(api.get("/api/v1/nothing-here"), 404)


def test_malformed_filter_is_400_naming_the_position(api: httpx.Client) -> None:
    message = error_of(
        api.get("/api/v1/projects/p/runs", params={"filter": "config.lr < < 3"}), 400
    )
    assert "position 12" in message
    assert (
        api.get("/api/v1/projects/p/runs", params={"filter": "config.lr < 3"}).json()["total"] == 0
    )


def test_a_10_mb_metric_name_is_refused(api: httpx.Client) -> None:
    envelope = {"run": "r1", "project": "p", "writer": "w2"}
    records = [{"t": "m", "q": 1, "s": 1, "w": 1.0, "d": {"x" * 10_000_000: 1.0}}]
    message = error_of(
        api.post("/api/v1/ingest", json={"envelope": envelope, "records": records}), 400
    )
    assert "too long" in message and len(message) < 1000


def test_invalid_json_is_400(api: httpx.Client) -> None:
    message = error_of(
        api.post(
            "/api/v1/ingest", content=b"{not json", headers={"content-type": "application/json"}
        ),
        400,
    )
    assert "not valid JSON" in message
    assert error_of(
        api.post(
            "/api/v1/projects/p/runs", content=b"[1,", headers={"content-type": "application/json"}
        ),
        400,
    )


def test_a_non_numeric_metric_value_is_400_and_nothing_is_written(api: httpx.Client) -> None:
    envelope = {"run": "r1", "project": "p", "writer": "w3"}
    records = [
        {"t": "m", "q": 1, "s": 5, "w": 1.0, "d": {"loss": 2.0}},
        {"t": "m", "q": 2, "s": 6, "w": 1.0, "d": {"loss": "high"}},
    ]
    body = orjson.dumps(envelope) + b"\n" + b"\n".join(orjson.dumps(r) for r in records)
    message = error_of(
        api.post("/api/v1/ingest", content=body, headers={"content-type": "application/x-ndjson"}),
        400,
    )
    assert "'loss'" in message and "non-numeric" in message
    steps = api.get("/api/v1/projects/p/runs/r1/series", params={"key": "loss"}).json()["steps"]
    assert steps == [0]


def test_run_crud_and_validation(api: httpx.Client) -> None:
    created = api.post(
        "/api/v1/projects/p/runs", json={"name": "made", "config": {"a": 1}, "tags": ["x"]}
    )
    assert created.status_code == 201
    run_id = created.json()["id"]
    assert api.patch(
        f"/api/v1/projects/p/runs/{run_id}", json={"notes": "hello", "tags": ["y"]}
    ).json()["tags"] == ["y"]
    assert "state" in error_of(
        api.patch(f"/api/v1/projects/p/runs/{run_id}", json={"state": "melted"}), 400
    )
    assert error_of(api.patch(f"/api/v1/projects/p/runs/{run_id}", json={"colour": "red"}), 400)
    assert error_of(api.post("/api/v1/projects/p/runs", json={"id": run_id}), 409)
    assert api.delete(f"/api/v1/projects/p/runs/{run_id}").status_code == 204
    error_of(api.get(f"/api/v1/projects/p/runs/{run_id}"), 404)


def test_bucketed_series_and_openapi(api: httpx.Client) -> None:
    envelope = {"run": "r2", "project": "p", "writer": "w1"}
    records = [
        {"t": "m", "q": i + 1, "s": i, "w": 1.0, "d": {"v": 50.0 if i == 777 else 1.0}}
        for i in range(5000)
    ]
    assert (
        api.post("/api/v1/ingest", json={"envelope": envelope, "records": records}).status_code
        == 200
    )
    body = api.get("/api/v1/projects/p/runs/r2/series", params={"key": "v", "buckets": 100}).json()
    assert body["bucketed"] and body["count"] <= 200 and 50.0 in body["values"]
    zoom = api.get(
        "/api/v1/projects/p/runs/r2/series",
        params={"key": "v", "buckets": 100, "min_step": 700, "max_step": 850},
    ).json()
    assert not zoom["bucketed"] and zoom["steps"] == list(range(700, 851))
    spec = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/ingest" in spec["paths"] and "/api/v1/projects/{project}/runs" in spec["paths"]
    assert api.get("/health").json()["status"] == "ok"
