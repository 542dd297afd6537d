"""MLflow's own client against a real Trailmark server with accounts on (issue 17), on SQLite
and PostgreSQL: ``MLFLOW_TRACKING_TOKEN`` (an API key as a bearer token) and
``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD`` (a password or an API key) log
runs, artifacts and registered models; no credentials is a 401; a user who may not read
another user's private experiment can neither get it, its runs, its artifacts nor its
model by id, nor find them in a search; a viewer reads but cannot log."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import _create_pg_database, _drop_pg_database
from tests.support import ServerProcess, start_server
from trailmark.store.store import Store

ALICE_PASSWORD = "alice has a long password"


@dataclass
class Team:
    """A server with accounts on, its database, and the users' API keys."""

    server: ServerProcess
    store: Store
    keys: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def team(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Team]:
    """One server per database: an admin, alice (a password and a key), bob and val (keys)."""
    data_dir = tmp_path_factory.mktemp(f"mlflow-auth-{request.param}")
    pg_name, db = _create_pg_database() if request.param == "postgres" else (None, None)
    store = Store.open(db, data_dir=None if db else data_dir)
    server = None
    try:
        accounts = store.accounts  # users first: the server starts with accounts on
        accounts.users.create("root", admin=True)
        accounts.users.create("alice", password=ALICE_PASSWORD)
        keys = {}
        for name in ("root", "alice", "bob", "val"):
            if name in ("bob", "val"):
                accounts.users.create(name)
            keys[name] = accounts.keys.create(name, "mlflow")[1]
        server = start_server(data_dir, db=db)
        _wait_for_accounts(server.url)
        yield Team(server, store, keys)
    finally:
        store.close()
        if server is not None:
            server.stop()
        if pg_name is not None:
            _drop_pg_database(pg_name)


def _wait_for_accounts(url: str) -> None:
    """A running server notices its first user within ~2 s: wait until it asks for one."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answer = requests.post(f"{url}/api/2.0/mlflow/experiments/search", json={}, timeout=10)
        if answer.status_code == 401:
            return
        time.sleep(0.1)
    raise AssertionError("the server did not switch accounts on")


def _client_as(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``use(url, token=... | basic=(name, secret))``: point MLflow's client at a server with
    one kind of credentials (the environment is all MLflow reads them from, at each
    request); returns an ``MlflowClient``."""
    import mlflow

    def use(url: str, *, token: str | None = None, basic: tuple[str, str] | None = None) -> Any:
        for name in (
            "MLFLOW_TRACKING_TOKEN",
            "MLFLOW_TRACKING_USERNAME",
            "MLFLOW_TRACKING_PASSWORD",
        ):
            monkeypatch.delenv(name, raising=False)
        if token is not None:
            monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
        if basic is not None:
            monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", basic[0])
            monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", basic[1])
        mlflow.set_tracking_uri(url)
        mlflow.set_registry_uri(url)
        return mlflow.MlflowClient(url)

    return use


def _reset_mlflow() -> None:
    import mlflow

    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri("")


@pytest.fixture
def as_user(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield _client_as(monkeypatch)
    _reset_mlflow()


@dataclass
class Logged:
    experiment_id: str
    run_id: str
    model: str


def _log_everything(client: Any, tmp_path: Path) -> Logged:
    """An experiment, a run with a param, a metric and a file, and a registered model."""
    import mlflow

    name = f"exp-{uuid.uuid4().hex[:10]}"
    experiment_id = mlflow.set_experiment(name).experiment_id  # created: the caller's
    with mlflow.start_run() as run:
        mlflow.log_param("lr", 0.1)
        mlflow.log_metric("loss", 0.5, step=1)
        (tmp_path / "weights.txt").write_text("w = 1")
        mlflow.log_artifact(str(tmp_path / "weights.txt"), "model")
    run_id = run.info.run_id
    model = f"clf-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(model)
    version = client.create_model_version(model, f"runs:/{run_id}/model", run_id=run_id)
    assert version.version == "1"
    # read back through the same credentials
    assert client.get_run(run_id).data.params == {"lr": "0.1"}
    assert [f.path for f in client.list_artifacts(run_id, "model")] == ["model/weights.txt"]
    local = client.download_artifacts(run_id, "model/weights.txt", str(tmp_path / "back"))
    assert Path(local).read_text() == "w = 1"
    assert client.get_registered_model(model).name == model
    return Logged(experiment_id, run_id, model)


@pytest.fixture(scope="module")
def alice_logged(team: Team, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    """Alice's experiment, run, files and model, logged once per server with her key."""
    with pytest.MonkeyPatch.context() as patch:
        client = _client_as(patch)(team.url, token=team.keys["alice"])
        try:
            yield _log_everything(client, tmp_path_factory.mktemp("alice"))
        finally:
            _reset_mlflow()


def _code(exc: BaseException) -> str:
    return str(getattr(exc, "error_code", ""))


def test_a_token_logs_runs_artifacts_and_models(alice_logged: Logged, team: Team) -> None:
    assert team.store.accounts.grants.list("project", _project(team, alice_logged))[0].role == (
        "admin"
    )


@pytest.mark.parametrize("secret", ["password", "key"])
def test_basic_auth_with_a_password_or_a_key_logs_everything(
    team: Team, as_user: Any, tmp_path: Path, secret: str
) -> None:
    password = ALICE_PASSWORD if secret == "password" else team.keys["alice"]
    logged = _log_everything(as_user(team.url, basic=("alice", password)), tmp_path)
    assert logged.run_id


def test_no_credentials_is_unauthenticated(team: Team, as_user: Any) -> None:
    from mlflow.exceptions import MlflowException

    client = as_user(team.url)
    with pytest.raises(MlflowException) as refused:
        client.search_experiments()
    assert _code(refused.value) == "UNAUTHENTICATED"
    assert refused.value.get_http_status_code() == 401
    raw = requests.get(f"{team.url}/api/2.0/mlflow/experiments/get?experiment_id=1", timeout=10)
    assert raw.status_code == 401
    assert raw.json()["error_code"] == "UNAUTHENTICATED"
    assert "Basic" in raw.headers["WWW-Authenticate"]


def test_wrong_credentials_are_refused_not_anonymous(team: Team, as_user: Any) -> None:
    from mlflow.exceptions import MlflowException

    for creds in ({"token": "tmk_not-a-key"}, {"basic": ("alice", "not her password")}):
        client = as_user(team.url, **creds)
        with pytest.raises(MlflowException) as refused:
            client.search_experiments()
        assert _code(refused.value) == "UNAUTHENTICATED"


def test_a_stranger_cannot_read_a_private_experiment_by_id(
    team: Team, as_user: Any, alice_logged: Logged
) -> None:
    from mlflow.exceptions import MlflowException

    bob = as_user(team.url, token=team.keys["bob"])
    reads = [
        lambda: bob.get_experiment(alice_logged.experiment_id),
        lambda: bob.get_run(alice_logged.run_id),
        lambda: bob.get_metric_history(alice_logged.run_id, "loss"),
        lambda: bob.list_artifacts(alice_logged.run_id),
        lambda: bob.get_registered_model(alice_logged.model),
        lambda: bob.get_model_version(alice_logged.model, "1"),
        lambda: bob.get_experiment_by_name(_project(team, alice_logged)),
    ]
    for read in reads:
        with pytest.raises(MlflowException) as refused:
            read()
        assert _code(refused.value) == "PERMISSION_DENIED"
        assert refused.value.get_http_status_code() == 403
    with pytest.raises(MlflowException) as refused:
        bob.log_param(alice_logged.run_id, "stolen", "1")
    assert _code(refused.value) == "PERMISSION_DENIED"


def test_a_stranger_cannot_download_a_private_runs_artifacts(
    team: Team, alice_logged: Logged
) -> None:
    bob = {"Authorization": f"Bearer {team.keys['bob']}"}
    alice = {"Authorization": f"Bearer {team.keys['alice']}"}
    file = f"{alice_logged.experiment_id}/{alice_logged.run_id}/artifacts/model/weights.txt"
    urls = [
        f"{team.url}/api/2.0/mlflow-artifacts/artifacts/{file}",
        f"{team.url}/api/2.0/mlflow-artifacts/artifacts?path={alice_logged.experiment_id}/"
        f"{alice_logged.run_id}/artifacts/model",
        f"{team.url}/get-artifact?run_uuid={alice_logged.run_id}&path=model/weights.txt",
        f"{team.url}/ajax-api/2.0/mlflow/artifacts/list?run_id={alice_logged.run_id}",
        f"{team.url}/model-versions/get-artifact?name={alice_logged.model}&version=1"
        "&path=weights.txt",
    ]
    for url in urls:
        assert requests.get(url, headers=alice, timeout=10).status_code == 200, url
        refused = requests.get(url, headers=bob, timeout=10)
        assert refused.status_code == 403, url
        assert refused.json()["error_code"] == "PERMISSION_DENIED", url
        assert b"w = 1" not in refused.content
    upload = requests.put(
        f"{team.url}/api/2.0/mlflow-artifacts/artifacts/{file}",
        data=b"overwritten",
        headers=bob,
        timeout=10,
    )
    assert upload.status_code == 403
    # a parameter given twice is refused: the guard checks one value, the route reads one
    own = _bobs_run(team)
    for url in (
        f"{team.url}/get-artifact?run_uuid={own}&run_uuid={alice_logged.run_id}"
        "&path=model/weights.txt",
        f"{team.url}/get-artifact?run_id={own}&run_id={alice_logged.run_id}&path=model/weights.txt",
        f"{team.url}/model-versions/get-artifact?name={alice_logged.model}"
        f"&name={alice_logged.model}&version=1&path=weights.txt",
    ):
        twice = requests.get(url, headers=bob, timeout=10)
        assert twice.status_code in (400, 403), url
        assert b"w = 1" not in twice.content
    # MLflow UI's upload names the run in the query; a JSON file naming another run in its
    # body changes nothing
    ui_upload = requests.post(
        f"{team.url}/ajax-api/2.0/mlflow/upload-artifact",
        params={"run_uuid": alice_logged.run_id, "path": "model/weights.txt"},
        json={"run_id": "a-run-of-bobs"},
        headers=bob,
        timeout=10,
    )
    assert ui_upload.status_code == 403
    assert ui_upload.json()["error_code"] == "PERMISSION_DENIED"
    assert requests.get(urls[0], headers=alice, timeout=10).content == b"w = 1"


def test_a_stranger_cannot_copy_a_private_run_into_a_model_of_their_own(
    team: Team, as_user: Any, alice_logged: Logged
) -> None:
    from mlflow.exceptions import MlflowException

    bob = as_user(team.url, token=team.keys["bob"])
    model = f"bobs-{uuid.uuid4().hex[:8]}"
    bob.create_registered_model(model)
    run = alice_logged.run_id
    sources = [
        f"runs:/{run}/model",
        f"mlflow-artifacts:/{alice_logged.experiment_id}/{run}/artifacts/model",
        f"models:/{alice_logged.model}/1",
    ]
    for source in sources:
        with pytest.raises(MlflowException) as refused:
            bob.create_model_version(model, source)
        assert _code(refused.value) == "PERMISSION_DENIED", source
    with pytest.raises(MlflowException) as refused:
        bob.create_model_version(model, "s3://bucket/model", run_id=run)
    assert _code(refused.value) == "PERMISSION_DENIED"
    assert bob.search_model_versions(f"name='{model}'") == []
    # a source Trailmark does not hold is kept as text, as MLflow keeps it
    assert bob.create_model_version(model, "s3://bucket/model").version == "1"


def test_logged_models_and_bulk_histories_follow_their_experiment(
    team: Team, as_user: Any, alice_logged: Logged
) -> None:
    api = f"{team.url}/api/2.0/mlflow"
    alice = {"Authorization": f"Bearer {team.keys['alice']}"}
    bob = {"Authorization": f"Bearer {team.keys['bob']}"}
    made = requests.post(
        f"{api}/logged-models",
        json={"experiment_id": alice_logged.experiment_id, "name": "net"},
        headers=alice,
        timeout=10,
    )
    assert made.status_code == 200, made.text
    model_id = made.json()["model"]["info"]["model_id"]
    assert requests.get(f"{api}/logged-models/{model_id}", headers=alice, timeout=10).ok
    refused = requests.get(f"{api}/logged-models/{model_id}", headers=bob, timeout=10)
    assert refused.status_code == 403 and refused.json()["error_code"] == "PERMISSION_DENIED"
    search = {"experiment_ids": [alice_logged.experiment_id]}
    found = requests.post(f"{api}/logged-models/search", json=search, headers=alice, timeout=10)
    assert [m["info"]["model_id"] for m in found.json()["models"]] == [model_id]
    hidden = requests.post(f"{api}/logged-models/search", json=search, headers=bob, timeout=10)
    assert hidden.status_code == 200 and hidden.json().get("models", []) == []
    # bob's own run and alice's in one bulk request: only his comes back
    bobs = as_user(team.url, token=team.keys["bob"])
    own = bobs.create_run(bobs.create_experiment(f"bob-{uuid.uuid4().hex[:8]}")).info.run_id
    bobs.log_metric(own, "loss", 0.25, step=1)
    # nor may his run's metrics, outputs or inputs name her logged model
    point = {"key": "acc", "value": 0.9, "timestamp": 1, "step": 0, "model_id": model_id}
    for route, body in (
        ("runs/log-metric", {"run_id": own, **point}),
        ("runs/log-batch", {"run_id": own, "metrics": [point]}),
        ("runs/outputs", {"run_id": own, "models": [{"model_id": model_id, "step": 0}]}),
        ("runs/log-inputs", {"run_id": own, "models": [{"model_id": model_id}]}),
    ):
        named = requests.post(f"{api}/{route}", json=body, headers=bob, timeout=10)
        assert named.status_code == 403, route
        assert named.json()["error_code"] == "PERMISSION_DENIED", route
    model = requests.get(f"{api}/logged-models/{model_id}", headers=alice, timeout=10).json()
    assert model["model"].get("data", {}).get("metrics", []) == []
    theirs = {"run_id": alice_logged.run_id, **point}
    assert requests.post(f"{api}/runs/log-metric", json=theirs, headers=alice, timeout=10).ok
    model = requests.get(f"{api}/logged-models/{model_id}", headers=alice, timeout=10).json()
    assert [m["key"] for m in model["model"]["data"]["metrics"]] == ["acc"]
    asked = ([own, alice_logged.run_id], [alice_logged.run_id, own], [alice_logged.run_id])
    for run_ids in asked:
        bulk = requests.get(
            f"{api}/metrics/get-history-bulk-interval",
            params={"run_ids": run_ids, "metric_key": "loss"},
            headers=bob,
            timeout=10,
        )
        assert bulk.status_code == 200, bulk.text
        assert {m["run_id"] for m in bulk.json()["metrics"]} == ({own} & set(run_ids))
        ajax = requests.get(
            f"{team.url}/ajax-api/2.0/mlflow/metrics/get-history-bulk",
            params={"run_id": run_ids, "metric_key": "loss"},
            headers=bob,
            timeout=10,
        )
        assert ajax.status_code == 200, ajax.text
        assert {m["run_id"] for m in ajax.json()["metrics"]} == ({own} & set(run_ids))
    mine = requests.get(
        f"{api}/metrics/get-history-bulk-interval",
        params={"run_ids": [alice_logged.run_id], "metric_key": "loss"},
        headers=alice,
        timeout=10,
    )
    assert [m["value"] for m in mine.json()["metrics"]] == [0.5]


def test_searches_show_a_stranger_nothing_of_a_private_experiment(
    team: Team, as_user: Any, alice_logged: Logged
) -> None:
    bob = as_user(team.url, token=team.keys["bob"])
    ids = {e.experiment_id for e in bob.search_experiments(max_results=50_000)}
    assert alice_logged.experiment_id not in ids
    assert bob.search_runs([alice_logged.experiment_id]) == []
    models = {m.name for m in bob.search_registered_models(max_results=1000)}
    assert alice_logged.model not in models
    assert bob.search_model_versions(f"name='{alice_logged.model}'") == []
    # bob's own experiment is his to see
    import mlflow

    own = mlflow.set_experiment(f"bob-{uuid.uuid4().hex[:8]}").experiment_id
    assert own in {e.experiment_id for e in bob.search_experiments(max_results=50_000)}
    # and the admin sees everyone's
    root = as_user(team.url, token=team.keys["root"])
    seen = {e.experiment_id for e in root.search_experiments(max_results=50_000)}
    assert {alice_logged.experiment_id, own} <= seen
    assert [r.info.run_id for r in root.search_runs([alice_logged.experiment_id])] == [
        alice_logged.run_id
    ]


def test_search_pages_skip_what_the_caller_may_not_read(team: Team, as_user: Any) -> None:
    # (the client reads its credentials from the environment at each request)
    bob = as_user(team.url, token=team.keys["bob"])
    mine = {bob.create_experiment(f"bob-{uuid.uuid4().hex[:8]}") for _ in range(2)}
    alice = as_user(team.url, token=team.keys["alice"])
    theirs = {alice.create_experiment(f"alice-{uuid.uuid4().hex[:8]}") for _ in range(3)}
    bob = as_user(team.url, token=team.keys["bob"])  # newest first: alice's come first
    seen: list[str] = []
    token = None
    for _ in range(100):
        page = bob.search_experiments(max_results=1, page_token=token)
        assert len(page) == 1 or not page.token  # never an empty page with more to come
        seen += [e.experiment_id for e in page]
        token = page.token
        if not token:
            break
    assert mine <= set(seen)
    assert not theirs & set(seen)
    assert len(seen) == len(set(seen))


def test_a_viewer_reads_but_cannot_log(team: Team, as_user: Any, alice_logged: Logged) -> None:
    from mlflow.exceptions import MlflowException

    project = _project(team, alice_logged)
    team.store.accounts.grants.set("project", project, "user:val", "viewer", by="alice")
    val = as_user(team.url, token=team.keys["val"])
    assert val.get_run(alice_logged.run_id).data.params == {"lr": "0.1"}
    assert [r.info.run_id for r in val.search_runs([alice_logged.experiment_id])] == [
        alice_logged.run_id
    ]
    assert alice_logged.experiment_id in {e.experiment_id for e in val.search_experiments()}
    writes = [
        lambda: val.log_metric(alice_logged.run_id, "loss", 0.1),
        lambda: val.log_param(alice_logged.run_id, "lr2", "0.2"),
        lambda: val.set_tag(alice_logged.run_id, "by", "val"),
        lambda: val.create_run(alice_logged.experiment_id),
        lambda: val.delete_run(alice_logged.run_id),
    ]
    for write in writes:
        with pytest.raises(MlflowException) as refused:
            write()
        assert _code(refused.value) == "PERMISSION_DENIED"
    assert "loss" in val.get_run(alice_logged.run_id).data.metrics
    assert val.get_run(alice_logged.run_id).info.lifecycle_stage == "active"


def _project(team: Team, logged: Logged) -> str:
    return team.store.mlflow.experiments.by_id(logged.experiment_id).name


def _bobs_run(team: Team) -> str:
    """A run in an experiment of bob's own."""
    api = f"{team.url}/api/2.0/mlflow"
    bob = {"Authorization": f"Bearer {team.keys['bob']}"}
    name = {"name": f"bob-{uuid.uuid4().hex[:8]}"}
    made = requests.post(f"{api}/experiments/create", json=name, headers=bob, timeout=10)
    body = {"experiment_id": made.json()["experiment_id"], "start_time": 1_700_000_000_000}
    run = requests.post(f"{api}/runs/create", json=body, headers=bob, timeout=10)
    return str(run.json()["run"]["info"]["run_id"])
