"""Real answers conform to the view models their routes declare.

The large read routes answer pre-serialised JSON, which FastAPI does not validate; so every
successful JSON answer seen here is validated against its route's ``response_model``, with
unknown keys refused (:class:`trailmark.views.base.View`). The data comes from a scenario
that calls every native read route, and from the server tests of the other modules, run again
with a validating client.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from tests.server import (
    test_artifacts_api,
    test_charts,
    test_logs,
    test_previews_api,
    test_webhooks,
)
from tests.server.conftest import ingest, metric_records
from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings


class ConformingClient(TestClient):
    """A TestClient that checks each successful JSON answer against its route's model, and
    remembers which routes answered."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__(app)
        self.routes: list[tuple[re.Pattern[str], set[str], APIRoute]] = []
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            if isinstance(route, APIRoute):
                self.routes.append((context.path_regex, set(context.methods or ()), route))
        self.checked: set[str] = set()

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        if 200 <= response.status_code < 300 and response.headers.get(
            "content-type", ""
        ).startswith("application/json"):
            self.check(method.upper(), response.url.path, response.content)
        return response

    def check(self, method: str, path: str, body: bytes) -> None:
        for pattern, methods, route in self.routes:
            if method in methods and pattern.match(path):
                assert route.response_model is not None, f"{method} {path}: no response model"
                try:
                    TypeAdapter(route.response_model).validate_json(body)
                except Exception as exc:
                    raise AssertionError(
                        f"{method} {path} answered what {route.response_model} does not "
                        f"describe: {exc}\n{body[:2000]!r}"
                    ) from exc
                self.checked.add(f"{method} {route.path}")
                return
        raise AssertionError(f"no route answers {method} {path}")


def conforming(app: FastAPI) -> Iterator[ConformingClient]:
    with ConformingClient(app) as client:
        yield client
    app.state.store.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[ConformingClient]:
    yield from conforming(create_app(ServerSettings(data_dir=tmp_path)))


@pytest.fixture
def trusting_client(tmp_path: Path) -> Iterator[ConformingClient]:
    app = create_app(ServerSettings(data_dir=tmp_path, webhooks_allow_private=True))
    for client in conforming(app):
        worker = app.state.webhook_worker
        worker.base_delay, worker.poll_interval, worker.max_attempts = 0.05, 0.05, 3
        yield client


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_every_native_read_answers_its_model(client: ConformingClient) -> None:
    ingest(
        client,
        "r1",
        [
            {"t": "run", "q": 1, "name": "first", "config": {"lr": 0.1, "net": {"depth": 3}}},
            *[{**r, "q": r["q"] + 1} for r in metric_records(50, loss=0.5, acc=0.01)],
            {"t": "m", "q": 60, "s": 60, "w": 2000.0, "d": {"loss": "NaN"}},
            {"t": "log", "q": 61, "lines": [[2001.0, "stdout", "hello"]]},
        ],
    )
    ingest(client, "r2", [{"t": "m", "q": 1, "s": 0, "w": 1.0, "d": {"loss": "Infinity"}}])
    p, r = "/api/v1/projects/p", "/api/v1/projects/p/runs/r1"
    assert client.get("/health").status_code == 200
    assert client.post("/api/v1/projects", json={"name": "q"}).status_code == 201
    for path in ("/api/v1/projects", p, f"{p}/runs", f"{p}/columns", r, f"{r}/metrics"):
        assert client.get(path).status_code == 200, path
    assert client.post(f"{p}/runs/search", json={"order": "-created"}).json()["total"] == 2
    created = client.post(f"{p}/runs", json={"id": "r3", "name": "made", "tags": ["a"]})
    assert created.status_code == 201
    assert client.patch(f"{p}/runs/r3", json={"notes": "n"}).status_code == 200
    assert client.get(f"{r}/series", params={"key": "loss"}).json()["count"] == 51
    assert client.get(f"{r}/series", params={"key": "loss", "buckets": 5}).status_code == 200
    assert len(client.get(f"{r}/history", params={"keys": ["loss", "acc"]}).json()["rows"]) == 51
    assert client.get(f"{r}/logs", params={"tail": True}).status_code == 200
    series = client.post(f"{p}/series", json={"runs": ["r1", "r2"], "keys": ["loss"]})
    assert len(series.json()["series"]) == 2
    assert client.post(f"{p}/metric-keys", json={"runs": ["r1", "r2"]}).status_code == 200

    data = b"a,b\n1,2\n"
    assert client.post(f"{p}/blobs/missing", json={"digests": [sha(data)]}).status_code == 200
    assert client.put(f"{p}/blobs/{sha(data)}", content=data).status_code == 201
    files = [{"path": "t.csv", "size": len(data), "digest": sha(data)}]
    assert client.post(f"{r}/files", json={"files": files}).status_code == 200
    assert client.get(f"{r}/files").json()["total"] == 1
    assert client.get(f"{r}/table/t.csv").status_code == 200
    version = client.post(
        f"{p}/artifacts/data/versions", json={"files": files, "run_id": "r1"}
    ).json()
    assert version["new_version"] is True
    used = client.post(f"{p}/artifacts/data/versions/v0/use", json={"run_id": "r2"})
    assert used.is_success, used.text
    for path in (
        f"{p}/artifacts",
        f"{p}/artifacts/data",
        f"{p}/artifacts/data/versions",
        f"{p}/artifacts/data/versions/latest/manifest",
        f"{p}/artifacts/data/versions/v0/users",
        f"{r}/artifacts",
    ):
        assert client.get(path).status_code == 200, path
    model = client.post(
        "/api/v1/models/m/versions", json={"source": "artifact:data:v0", "project": "p"}
    )
    assert model.status_code == 201, model.text
    assert client.put("/api/v1/models/m/aliases/best", json={"version": 1}).is_success
    assert client.put("/api/v1/models/m/versions/1/stage", json={"stage": "Staging"}).is_success
    for path in ("/api/v1/models", "/api/v1/models/m", "/api/v1/models/m/versions"):
        assert client.get(path).status_code == 200, path
    assert client.get("/api/v1/models/m/versions/1/manifest").status_code == 200
    assert client.get("/api/v1/models/m/events").json()["total"] >= 3
    for node in ("run:r1", "artifact:p/data:v0", "model:m@best"):
        assert client.get("/api/v1/lineage", params={"node": node}).status_code == 200, node


def test_upload_sessions_answer_their_model(client: ConformingClient) -> None:
    data = b"x" * 10
    started = client.post("/api/v1/projects/p/uploads", json={"digest": sha(data), "size": 10})
    assert set(started.json()) >= {"id", "offset", "min_chunk"}
    session = started.json()["id"]
    assert client.get(f"/api/v1/projects/p/uploads/{session}").is_success
    put = client.put(f"/api/v1/projects/p/uploads/{session}", params={"offset": 0}, content=data)
    assert put.is_success, put.text
    done = client.post(f"/api/v1/projects/p/uploads/{session}/complete")
    assert done.json() == {"id": session, "digest": sha(data), "size": 10, "complete": True}
    again = client.post("/api/v1/projects/p/uploads", json={"digest": sha(data), "size": 10})
    assert again.json() == {
        "id": None,
        "digest": sha(data),
        "size": 10,
        "offset": 10,
        "complete": True,
    }


BORROWED_FROM: tuple[ModuleType, ...] = (
    test_artifacts_api,
    test_charts,
    test_logs,
    test_previews_api,
    test_webhooks,
)
FIXTURES = {"client", "trusting_client"}


def borrowed_tests() -> list[Any]:
    """The other server tests that need only a client: their requests, checked here too."""
    found = []
    for module in BORROWED_FROM:
        for name, function in vars(module).items():
            if not name.startswith("test_") or not callable(function):
                continue
            wanted = set(inspect.signature(function).parameters)
            if wanted and wanted <= FIXTURES and not hasattr(function, "pytestmark"):
                short = module.__name__.rsplit(".", 1)[-1]
                found.append(pytest.param(function, id=f"{short}::{name}"))
    return found


@pytest.mark.parametrize("test", borrowed_tests())
def test_the_server_tests_answers_conform(
    test: Callable[..., None], request: pytest.FixtureRequest
) -> None:
    wanted = inspect.signature(test).parameters
    test(**{name: request.getfixturevalue(name) for name in wanted})
