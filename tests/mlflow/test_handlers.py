"""The MLflow handler table without HTTP: its answers match the declared view models, the
registry's and runs' tag writes keep every concurrent change, searches page in SQL, and
neither the handlers nor the importer load the web framework."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from trailmark.mlflow_api.artifacts import parse_target, save_file
from trailmark.mlflow_api.endpoints import API, BY_ROUTE, ENDPOINTS, call
from trailmark.server.routers import MLFLOW_ROUTERS
from trailmark.store.store import Store

Call = Callable[..., dict[str, Any]]


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(database_url, tmp_path)
    try:
        yield opened
    finally:
        opened.close()


def _caller(store: Store) -> Call:
    def run(method: str, path: str, **data: Any) -> dict[str, Any]:
        return call(store, method, API + path, data, "tester")

    return run


def _registered_version(store: Store, mlflow: Call) -> tuple[str, str]:
    """An experiment's run with a model file, registered as version 1 of model "m"."""
    exp_id = str(mlflow("POST", "/experiments/create", name="tags")["experiment_id"])
    run_id = str(mlflow("POST", "/runs/create", experiment_id=exp_id)["run"]["info"]["run_id"])
    data = b"weights"
    target = parse_target(f"{exp_id}/{run_id}/artifacts/model/w.bin")
    save_file(store, target, io.BytesIO(data), hashlib.sha256(data).hexdigest(), len(data))
    mlflow("POST", "/registered-models/create", name="m")
    mlflow("POST", "/model-versions/create", name="m", source=f"runs:/{run_id}/model")
    return exp_id, run_id


def test_concurrent_tag_writes_lose_nothing(store: Store) -> None:
    """Each set or delete is one locked transaction: 8 threads changing different tags of the
    same model, version, run and experiment (and logging models to the run) all keep their
    change."""
    mlflow = _caller(store)
    exp_id, run_id = _registered_version(store, mlflow)
    count = 24
    for i in range(count):
        mlflow("POST", "/registered-models/set-tag", name="m", key=f"old{i}", value="x")
        mlflow("POST", "/model-versions/set-tag", name="m", version="1", key=f"old{i}", value="x")
        mlflow("POST", "/runs/set-tag", run_id=run_id, key=f"old{i}", value="x")

    def change(i: int) -> None:
        mlflow("POST", "/registered-models/set-tag", name="m", key=f"k{i}", value=str(i))
        mlflow("DELETE", "/registered-models/delete-tag", name="m", key=f"old{i}")
        mlflow("POST", "/model-versions/set-tag", name="m", version="1", key=f"k{i}", value=str(i))
        mlflow("DELETE", "/model-versions/delete-tag", name="m", version="1", key=f"old{i}")
        mlflow("POST", "/runs/set-tag", run_id=run_id, key=f"k{i}", value=str(i))
        mlflow("POST", "/runs/delete-tag", run_id=run_id, key=f"old{i}")
        mlflow("POST", "/runs/log-model", run_id=run_id, model_json=json.dumps({"model": i}))
        mlflow(
            "POST",
            "/experiments/set-experiment-tag",
            experiment_id=exp_id,
            key=f"k{i}",
            value=str(i),
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(change, range(count)))

    expected = {f"k{i}": str(i) for i in range(count)}

    def tags(items: list[dict[str, str]]) -> dict[str, str]:
        return {t["key"]: t["value"] for t in items if t["key"].startswith(("k", "old"))}

    model = mlflow("GET", "/registered-models/get", name="m")["registered_model"]
    assert tags(model["tags"]) == expected
    version = mlflow("GET", "/model-versions/get", name="m", version="1")["model_version"]
    assert tags(version["tags"]) == expected
    run = mlflow("GET", "/runs/get", run_id=run_id)["run"]
    assert tags(run["data"]["tags"]) == expected
    history = {t["key"]: t["value"] for t in run["data"]["tags"]}["mlflow.log-model.history"]
    assert sorted(m["model"] for m in json.loads(history)) == list(range(count))
    experiment = mlflow("GET", "/experiments/get", experiment_id=exp_id)["experiment"]
    assert tags(experiment["tags"]) == expected


def test_searches_page_in_sql(store: Store) -> None:
    mlflow = _caller(store)
    for i in range(7):
        mlflow(
            "POST", "/experiments/create", name=f"page-{i}", tags=[{"key": "i", "value": str(i)}]
        )
        mlflow("POST", "/registered-models/create", name=f"model-{i}")
    seen: list[str] = []
    token = None
    while True:
        fields: dict[str, Any] = {"max_results": 3, "filter": "name LIKE 'page-%'"}
        if token:
            fields["page_token"] = token
        fields["order_by"] = ["name DESC"]
        page = mlflow("POST", "/experiments/search", **fields)
        seen += [e["name"] for e in page["experiments"]]
        token = page.get("next_page_token")
        if token is None:
            break
    assert seen == [f"page-{i}" for i in reversed(range(7))]
    found = mlflow("GET", "/registered-models/search", filter="name LIKE 'model-%'", max_results=5)
    assert [m["name"] for m in found["registered_models"]] == [f"model-{i}" for i in range(5)]
    rest = mlflow(
        "GET",
        "/registered-models/search",
        filter="name LIKE 'model-%'",
        max_results=5,
        page_token=found["next_page_token"],
    )
    assert [m["name"] for m in rest["registered_models"]] == ["model-5", "model-6"]
    assert "next_page_token" not in rest
    tagged = mlflow("POST", "/experiments/search", filter="tags.i = '3'")
    assert [e["name"] for e in tagged["experiments"]] == ["page-3"]


def test_answers_match_their_view_models(app_client: TestClient) -> None:
    """Real answers through the app validate against the model each route declares."""
    client = app_client
    checked: set[tuple[str, str]] = set()

    def check(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = client.request(method, API + path, **kwargs)
        assert response.status_code == 200, response.text
        endpoint = BY_ROUTE[(method, API + path)]
        endpoint.response.model_validate(response.json())
        checked.add((method, path))
        body: dict[str, Any] = response.json()
        return body

    exp_id = check("POST", "/experiments/create", json={"name": "views"})["experiment_id"]
    check("GET", "/experiments/get", params={"experiment_id": exp_id})
    check("POST", "/experiments/search", json={"max_results": 1})
    run = check("POST", "/runs/create", json={"experiment_id": exp_id})["run"]
    run_id = run["info"]["run_id"]
    metric = {"key": "loss", "value": "NaN", "timestamp": 1_700_000_000_000, "step": 1}
    check("POST", "/runs/log-batch", json={"run_id": run_id, "metrics": [metric]})
    check("POST", "/runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.1"})
    check("POST", "/runs/update", json={"run_id": run_id, "status": "FINISHED", "end_time": 1})
    check("GET", "/runs/get", params={"run_id": run_id})
    check("POST", "/runs/search", json={"experiment_ids": [exp_id], "max_results": 1})
    check("GET", "/metrics/get-history", params={"run_id": run_id, "metric_key": "loss"})
    check(
        "GET",
        "/metrics/get-history-bulk-interval",
        params={"run_ids": [run_id], "metric_key": "loss"},
    )
    upload = client.put(
        f"/api/2.0/mlflow-artifacts/artifacts/{exp_id}/{run_id}/artifacts/model/w.bin",
        content=b"weights",
    )
    assert upload.status_code == 200, upload.text
    check("GET", "/artifacts/list", params={"run_id": run_id})
    check("POST", "/registered-models/create", json={"name": "views-model"})
    version = {"name": "views-model", "source": f"runs:/{run_id}/model", "run_id": run_id}
    check("POST", "/model-versions/create", json=version)
    check("POST", "/registered-models/alias", json={**version, "alias": "best", "version": "1"})
    check("GET", "/registered-models/get", params={"name": "views-model"})
    check("GET", "/registered-models/search", params={"max_results": 1})
    check("GET", "/model-versions/search", params={"filter": "name = 'views-model'"})
    check("GET", "/model-versions/get-download-uri", params={"name": "views-model", "version": 1})
    check("POST", "/logged-models", json={"experiment_id": exp_id, "source_run_id": run_id})
    check("POST", "/logged-models/search", json={"experiment_ids": [exp_id]})
    assert len(checked) >= 20


def test_every_mlflow_route_documents_its_answer(app_client: TestClient) -> None:
    paths = app_client.get("/api/v1/openapi.json").json()["paths"]
    for endpoint in ENDPOINTS:
        if endpoint.path.startswith("/ajax-api/"):
            assert endpoint.path not in paths  # MLflow's UI routes, unlisted as /ajax-api twins
            continue
        operation = paths[endpoint.path][endpoint.method.lower()]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema.get("$ref", "").endswith("/" + endpoint.response.__name__), endpoint.path
    assert len({r.path for router in MLFLOW_ROUTERS for r in router.routes}) > len(
        {e.path for e in ENDPOINTS}
    )


def test_handlers_and_importer_do_not_load_the_web_framework() -> None:
    code = (
        "import sys, trailmark.mlflow_api.endpoints, trailmark.mlflow_import;"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'uvicorn') or m.startswith('trailmark.server'));"
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
