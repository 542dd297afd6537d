"""Lost races are normal outcomes, never a 500 (issue 16 item 4, issue 23).

Two real server processes (replicas) on ONE database, SQLite (the same file) and
PostgreSQL; the racing requests start together (threads released by a barrier), round after
round, half through each replica:

- the first batches of one new run from several writers (ranks) at once: every batch is
  accepted, the run, its project and every rank's series exist once;
- ``registered-models/create`` (MLflow and native) of one name: exactly one creates it, the
  others hear that it exists (``RESOURCE_ALREADY_EXISTS`` / 409 ``conflict``);
- the first versions of a new registered model: versions 1..N, none lost, none doubled;
- project creation (native) and ``experiments/create`` (MLflow) of one name: one creates
  it, the others hear that it exists.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.store.artifact_helpers import files
from tests.support import ServerProcess, start_server
from trailmark.blobs.folder import FolderBlobStore
from trailmark.store.database import database_for
from trailmark.store.store import Store

pytestmark = pytest.mark.slow

ROUNDS = 8
RACERS = 6
MLFLOW = "/api/2.0/mlflow"


class Replicas:
    """Two servers on one database, and a way to send requests to them all at once."""

    def __init__(self, servers: list[ServerProcess], db_url: str | None, data_dir: Path) -> None:
        self.servers = servers
        self.db_url = db_url
        self.data_dir = data_dir
        self.clients = [httpx.Client(base_url=s.url, timeout=60) for s in servers]

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def race(
        self, requests: list[Callable[[httpx.Client], httpx.Response]]
    ) -> list[httpx.Response]:
        """Send ``requests`` together, the i-th through replica i % 2; their responses, in order."""
        barrier = threading.Barrier(len(requests))

        def send(index: int) -> httpx.Response:
            barrier.wait()
            return requests[index](self.clients[index % len(self.clients)])

        with ThreadPoolExecutor(len(requests)) as pool:
            return list(pool.map(send, range(len(requests))))

    def store(self) -> Store:
        """The replicas' store, opened here (to seed data that the requests need)."""
        db = database_for(self.db_url, self.data_dir)
        return Store(db, FolderBlobStore(self.data_dir / "blobs"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Replicas]:
    db = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    data_dir = tmp_path / "shared"  # one data dir: the same SQLite file, the same blobs
    first = start_server(data_dir, db=db)  # migrates the database before the second starts
    servers = [first]
    try:
        servers.append(start_server(data_dir, db=db))
        pair = Replicas(servers, db, data_dir)
        try:
            yield pair
        finally:
            pair.close()
    finally:
        for server in servers:
            server.stop()


def no_server_errors(responses: list[httpx.Response]) -> None:
    failed = [(r.status_code, r.text[:300]) for r in responses if r.status_code >= 500]
    assert not failed, failed


def post(path: str, body: dict[str, Any]) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: client.post(path, json=body)


def first_batch(project: str, run: str, rank: int) -> Callable[[httpx.Client], httpx.Response]:
    """A writer's first batch: the run record and one point."""
    envelope = {"run": run, "project": project, "writer": f"w{rank}", "rank": rank}
    records = [
        {"t": "run", "q": 1, "name": "racing", "config": {f"rank{rank}": rank}},
        {"t": "m", "q": 2, "s": 0, "w": 1.0, "d": {"loss": float(rank)}},
    ]
    return post("/api/v1/ingest", {"envelope": envelope, "records": records})


def test_first_batches_of_a_new_run_through_two_replicas(replicas: Replicas) -> None:
    for round_ in range(ROUNDS):
        project, run = f"proj-{round_}", f"run-{round_}"
        responses = replicas.race([first_batch(project, run, rank) for rank in range(RACERS)])
        no_server_errors(responses)
        assert [r.status_code for r in responses] == [200] * RACERS, [r.text for r in responses]
        assert [r.json()["accepted"] for r in responses] == [2] * RACERS
        client = replicas.clients[0]
        found = client.get(f"/api/v1/projects/{project}/runs/{run}")
        assert found.status_code == 200, found.text
        for rank in range(RACERS):
            params: dict[str, str | int] = (
                {"key": "loss"} if rank == 0 else {"key": "loss", "rank": rank}
            )
            series = client.get(f"/api/v1/projects/{project}/runs/{run}/series", params=params)
            assert series.status_code == 200, (rank, series.text)
            assert series.json()["values"] == [float(rank)]
        projects = client.get("/api/v1/projects", params={"search": project}).json()["projects"]
        assert [p["name"] for p in projects] == [project]


def test_registered_model_create_of_one_name(replicas: Replicas) -> None:
    for round_ in range(ROUNDS):
        name = f"model-{round_}"
        mlflow = replicas.race(
            [post(f"{MLFLOW}/registered-models/create", {"name": name})] * RACERS
        )
        no_server_errors(mlflow)
        statuses = sorted(r.status_code for r in mlflow)
        assert statuses == [200] + [400] * (RACERS - 1), [r.text for r in mlflow]
        lost = [r.json()["error_code"] for r in mlflow if r.status_code == 400]
        assert set(lost) == {"RESOURCE_ALREADY_EXISTS"}

        native = replicas.race([post("/api/v1/models", {"name": f"native-{name}"})] * RACERS)
        no_server_errors(native)
        assert sorted(r.status_code for r in native) == [201] + [409] * (RACERS - 1)
        assert {r.json()["error"]["code"] for r in native if r.status_code == 409} == {"conflict"}
    models = replicas.clients[1].get("/api/v1/models").json()["models"]
    assert len(models) == 2 * ROUNDS


def test_first_versions_of_a_new_registered_model(replicas: Replicas) -> None:
    store = replicas.store()
    try:
        store.run_files.add("p", "trained", [e.to_json() for e in files(store, model__w=b"w")])
    finally:
        store.close()
    for round_ in range(ROUNDS):
        # Natively, a model's first version creates the model: the racers all make it new.
        # Through MLflow (as in MLflow) the model is created first, then its versions race.
        name, registered = f"fresh-{round_}", f"registered-{round_}"
        created = replicas.race([post(f"{MLFLOW}/registered-models/create", {"name": registered})])
        assert created[0].status_code == 200, created[0].text
        body = {"name": registered, "source": "runs:/trained/model"}
        native = {"source": "runs/trained/model"}
        requests = [
            post(f"{MLFLOW}/model-versions/create", body)
            if (i // 2) % 2  # each kind through both replicas (the i-th goes to replica i % 2)
            else post(f"/api/v1/models/{name}/versions", native)
            for i in range(2 * RACERS)
        ]
        responses = replicas.race(requests)
        natives = [r for i, r in enumerate(responses) if not (i // 2) % 2]
        mlflows = [r for i, r in enumerate(responses) if (i // 2) % 2]
        no_server_errors(responses)
        assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
        for model, answers in ((name, natives), (registered, mlflows)):
            numbers = [
                int(r.json()["model_version"]["version"])
                if "model_version" in r.json()
                else r.json()["version"]
                for r in answers
            ]
            assert sorted(numbers) == list(range(1, RACERS + 1)), model
            listed = replicas.clients[0].get(f"/api/v1/models/{model}/versions").json()
            assert sorted(v["version"] for v in listed["versions"]) == list(range(1, RACERS + 1))


def test_project_and_experiment_create_of_one_name(replicas: Replicas) -> None:
    for round_ in range(ROUNDS):
        native = replicas.race([post("/api/v1/projects", {"name": f"p-{round_}"})] * RACERS)
        no_server_errors(native)
        assert sorted(r.status_code for r in native) == [201] + [409] * (RACERS - 1)
        assert {r.json()["error"]["code"] for r in native if r.status_code == 409} == {"conflict"}

        name = f"exp-{round_}"
        mlflow = replicas.race([post(f"{MLFLOW}/experiments/create", {"name": name})] * RACERS)
        no_server_errors(mlflow)
        assert sorted(r.status_code for r in mlflow) == [200] + [400] * (RACERS - 1)
        lost = {r.json()["error_code"] for r in mlflow if r.status_code == 400}
        assert lost == {"RESOURCE_ALREADY_EXISTS"}
        ids = {r.json()["experiment_id"] for r in mlflow if r.status_code == 200}
        found = replicas.clients[1].get(
            f"{MLFLOW}/experiments/get-by-name", params={"experiment_name": name}
        )
        assert {found.json()["experiment"]["experiment_id"]} == ids
