"""A NUL character (U+0000) gives the same answer on SQLite and PostgreSQL (issue 16 item 3).

Values (config and summary values, notes, descriptions, MLflow param and tag values) are
stored and read back exactly; identifiers (names, keys) are refused with a 400 that names the
field. Never a 500. Every test runs on both databases (``database_url``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings
from trailmark.store.nul import MARK

NUL = "a\x00b"
MLFLOW = "/api/2.0/mlflow"
# Strings that must come back exactly: a NUL alone, at the ends, twice, beside the
# escape's own characters, and one that starts with the encoding's marker without a NUL.
VALUES = ["\x00", NUL, "\x00x\x00", "100%00 and %25\x00", MARK + "x%00", MARK]


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(ServerSettings(data_dir=tmp_path, db_url=database_url))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    app.state.store.close()


def ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def ingest(client: TestClient, run: str, records: list[dict[str, Any]]) -> httpx.Response:
    envelope = {"run": run, "project": "p", "writer": "w1"}
    response: httpx.Response = client.post(
        "/api/v1/ingest", json={"envelope": envelope, "records": records}
    )
    return response


def test_ingested_values_with_nul_are_stored_and_read_back(client: TestClient) -> None:
    config = {"values": VALUES, "nested": {"deep": NUL}, NUL: "a key of a value"}
    ok(
        ingest(
            client,
            "r1",
            [
                {"t": "run", "q": 1, "name": "r1", "notes": NUL, "config": {"first": NUL}},
                {"t": "cfg", "q": 2, "d": config},
                {"t": "sum", "q": 3, "d": {"best": NUL}},
                {"t": "m", "q": 4, "s": 0, "w": 1.0, "d": {"loss": 0.5}},
                {"t": "meta", "q": 5, "d": {"git": {"b": NUL}}, "large": {"git.diff": NUL}},
                {"t": "fin", "q": 6, "state": "failed", "exit_code": 1, "w": 2.0, "error": NUL},
            ],
        )
    )
    run = ok(client.get("/api/v1/projects/p/runs/r1"))
    assert run["config"] == {"first": NUL, **config}
    assert run["summary"]["best"] == NUL
    assert run["notes"] == NUL
    assert run["error"] == NUL
    assert run["state"] == "failed"
    assert run["metadata"]["git"] == {"b": NUL, "diff": NUL}
    assert ok(client.get("/api/v1/projects/p/runs/r1/metrics"))["metrics"]


def test_run_updates_with_nul_values_are_stored_and_read_back(client: TestClient) -> None:
    run_id = ok(client.post("/api/v1/projects/p/runs", json={"name": "r"}))["id"]
    change = {
        "notes": "\x00".join(VALUES),
        "config": {"lr": NUL, "list": VALUES},
        "summary": {"s": NUL},
        "properties": {"k": NUL},
    }
    ok(client.patch(f"/api/v1/projects/p/runs/{run_id}", json=change))
    run = ok(client.get(f"/api/v1/projects/p/runs/{run_id}"))
    assert {k: run[k] for k in change} == change


def test_descriptions_with_nul_are_stored_and_read_back(client: TestClient) -> None:
    assert ok(client.post("/api/v1/projects", json={"name": "d", "description": NUL}))[
        "description"
    ] == (NUL)
    assert ok(client.get("/api/v1/projects/d"))["description"] == NUL
    ok(client.post("/api/v1/models", json={"name": "m", "description": NUL, "tags": {"t": NUL}}))
    model = ok(client.get("/api/v1/models/m"))
    assert (model["description"], model["tags"]) == (NUL, {"t": NUL})


def _mlflow_run(client: TestClient) -> tuple[str, str]:
    experiment = ok(client.post(f"{MLFLOW}/experiments/create", json={"name": "e"}))
    run = ok(
        client.post(
            f"{MLFLOW}/runs/create",
            json={"experiment_id": experiment["experiment_id"], "run_name": "r"},
        )
    )
    return experiment["experiment_id"], run["run"]["info"]["run_id"]


def test_mlflow_values_with_nul_are_stored_and_read_back(client: TestClient) -> None:
    experiment_id, run_id = _mlflow_run(client)
    post: Callable[[str, dict[str, Any]], Any] = lambda path, body: ok(  # noqa: E731
        client.post(f"{MLFLOW}/{path}", json=body)
    )
    post("runs/log-parameter", {"run_id": run_id, "key": "p1", "value": NUL})
    post("runs/set-tag", {"run_id": run_id, "key": "t1", "value": NUL})
    post("runs/set-tag", {"run_id": run_id, "key": "mlflow.note.content", "value": NUL})
    post(
        "runs/log-batch",
        {
            "run_id": run_id,
            "params": [{"key": "p2", "value": "\x00"}],
            "tags": [{"key": "t2", "value": MARK}],
        },
    )
    post(
        "experiments/set-experiment-tag",
        {"experiment_id": experiment_id, "key": "t", "value": NUL},
    )
    post("registered-models/create", {"name": "m", "description": NUL})
    post("registered-models/set-tag", {"name": "m", "key": "t", "value": NUL})

    data = ok(client.get(f"{MLFLOW}/runs/get", params={"run_id": run_id}))["run"]["data"]
    params = {p["key"]: p["value"] for p in data["params"]}
    tags = {t["key"]: t["value"] for t in data["tags"]}
    assert (params["p1"], params["p2"]) == (NUL, "\x00")
    assert (tags["t1"], tags["t2"], tags["mlflow.note.content"]) == (NUL, MARK, NUL)
    experiment = ok(
        client.get(f"{MLFLOW}/experiments/get", params={"experiment_id": experiment_id})
    )
    assert {t["key"]: t["value"] for t in experiment["experiment"]["tags"]}["t"] == NUL
    model = ok(client.get(f"{MLFLOW}/registered-models/get", params={"name": "m"}))
    assert model["registered_model"]["description"] == NUL
    assert model["registered_model"]["tags"] == [{"key": "t", "value": NUL}]


NATIVE_IDENTIFIERS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("project name", "POST", "/api/v1/projects", {"name": NUL}),
    ("run name", "POST", "/api/v1/projects/p/runs", {"name": NUL}),
    ("tag", "POST", "/api/v1/projects/p/runs", {"name": "r", "tags": [NUL]}),
    ("model name", "POST", "/api/v1/models", {"name": NUL}),
]


@pytest.mark.parametrize(
    ("field", "method", "path", "body"),
    NATIVE_IDENTIFIERS,
    ids=[case[0] for case in NATIVE_IDENTIFIERS],
)
def test_native_identifiers_with_nul_are_refused(
    client: TestClient, field: str, method: str, path: str, body: dict[str, Any]
) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert field in error["message"]


def test_ingested_identifiers_with_nul_are_refused(client: TestClient) -> None:
    for record, field in [
        ({"t": "m", "q": 1, "s": 0, "w": 1.0, "d": {NUL: 1.0}}, "metric key"),
        ({"t": "run", "q": 1, "name": NUL}, "run name"),
        ({"t": "run", "q": 1, "tags": [NUL]}, "tag"),
        ({"t": "meta", "q": 1, "d": {}, "large": {"a.\x00": "x"}}, "large metadata path"),
    ]:
        response = ingest(client, "r1", [record])
        assert response.status_code == 400, response.text
        assert field in response.json()["error"]["message"]
    assert client.get("/api/v1/projects/p/runs/r1").status_code == 404


def test_run_patch_identifiers_with_nul_are_refused(client: TestClient) -> None:
    run_id = ok(client.post("/api/v1/projects/p/runs", json={"name": "r"}))["id"]
    for change, field in [({"name": NUL}, "run name"), ({"tags": [NUL]}, "tag")]:
        response = client.patch(f"/api/v1/projects/p/runs/{run_id}", json=change)
        assert response.status_code == 400, response.text
        assert field in response.json()["error"]["message"]


def test_mlflow_identifiers_with_nul_are_refused(client: TestClient) -> None:
    experiment_id, run_id = _mlflow_run(client)
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("project name", "experiments/create", {"name": NUL}),
        ("run name", "runs/create", {"experiment_id": experiment_id, "run_name": NUL}),
        ("param key", "runs/log-parameter", {"run_id": run_id, "key": NUL, "value": "v"}),
        ("tag key", "runs/set-tag", {"run_id": run_id, "key": NUL, "value": "v"}),
        ("param key", "runs/log-batch", {"run_id": run_id, "params": [{"key": NUL}]}),
        ("tag key", "runs/log-batch", {"run_id": run_id, "tags": [{"key": NUL}]}),
        (
            "metric key",
            "runs/log-metric",
            {"run_id": run_id, "key": NUL, "value": 1, "timestamp": 0, "step": 0},
        ),
        (
            "tag key",
            "experiments/set-experiment-tag",
            {"experiment_id": experiment_id, "key": NUL, "value": "v"},
        ),
        ("model name", "registered-models/create", {"name": NUL}),
        ("tag key", "registered-models/create", {"name": "m", "tags": [{"key": NUL}]}),
    ]
    for field, path, body in cases:
        response = client.post(f"{MLFLOW}/{path}", json=body)
        assert response.status_code == 400, (path, response.text)
        answer = response.json()
        assert answer["error_code"] == "INVALID_PARAMETER_VALUE", (path, answer)
        assert field in answer["message"], (path, answer)
    params = ok(client.get(f"{MLFLOW}/runs/get", params={"run_id": run_id}))["run"]["data"]
    assert "params" not in params or params["params"] == []


def test_lookups_by_a_name_with_nul_are_never_a_server_error(client: TestClient) -> None:
    ok(client.post("/api/v1/projects", json={"name": "p"}))
    answers = {
        "project": client.get("/api/v1/projects/a%00b"),
        "run": client.get("/api/v1/projects/p/runs/a%00b"),
        "model": client.get("/api/v1/models/a%00b"),
        "runs filter": client.get("/api/v1/projects/p/runs", params={"filter": f'name = "{NUL}"'}),
        "experiment": client.get(
            f"{MLFLOW}/experiments/get-by-name", params={"experiment_name": NUL}
        ),
        "registered model": client.get(f"{MLFLOW}/registered-models/get", params={"name": NUL}),
    }
    for what, response in answers.items():
        assert response.status_code < 500, (what, response.text)
