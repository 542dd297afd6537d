"""The model registry as MLflow's own server keeps it, on SQLite and PostgreSQL.

MLflow stores any source URI and run id a version is registered with, allows names with spaces,
registers logged models that have no files, and words its errors in ways clients match on.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.mlflow.servers import DATABASES, mlflow_client_of, server_on
from tests.support import ServerProcess


@pytest.fixture(scope="module", params=DATABASES)
def registry_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A real server process, once on SQLite and once on PostgreSQL, shared by the module."""
    with server_on(request.param, tmp_path_factory.mktemp("registry-parity")) as proc:
        yield proc


@pytest.fixture
def client(registry_server: ServerProcess) -> Iterator[Any]:
    with mlflow_client_of(registry_server) as found:
        yield found


def _name(prefix: str = "model") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _error(call: Any) -> Any:
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as caught:
        call()
    return caught.value


def test_a_version_keeps_any_source_and_run_id(client: Any, registry_server: ServerProcess) -> None:
    name = _name("kept model")
    client.create_registered_model(name)
    run_id = uuid.uuid4().hex
    for n, source in enumerate(
        ["s3://bucket/some/model", f"runs:/{run_id}/model", "file:///tmp/model", "/local/model"],
        start=1,
    ):
        made = client.create_model_version(name, source, run_id=run_id)
        assert (made.version, made.source, made.run_id) == (str(n), source, run_id)
        got = client.get_model_version(name, str(n))
        assert (got.source, got.run_id, got.status) == (source, run_id, "READY")
        # the server reads nothing there; the client is told where the files are, as MLflow does
        assert client.get_model_version_download_uri(name, str(n)) == source
    found = client.search_model_versions(f"run_id = '{run_id}'")
    assert sorted(int(v.version) for v in found) == [1, 2, 3, 4]
    # Trailmark's own API (the dashboard's) shows such a version with no files
    url = f"{registry_server.url}/api/v1/models/{quote(name)}/versions/1"
    with urllib.request.urlopen(url) as answer:
        shown = json.load(answer)
    assert (shown["source_project"], shown["file_count"]) == (None, 0)


def test_names_with_spaces_work_throughout(client: Any, tmp_path: Path) -> None:
    import mlflow

    name = f"my model {uuid.uuid4().hex[:6]}"
    client.create_registered_model(name, description="spaced")
    experiment_id = client.create_experiment(_name("exp"))
    run = client.create_run(experiment_id)
    (tmp_path / "weights.txt").write_text("w")
    client.log_artifact(run.info.run_id, str(tmp_path / "weights.txt"), "model")
    made = client.create_model_version(name, f"runs:/{run.info.run_id}/model", run.info.run_id)
    assert made.version == "1" and client.get_registered_model(name).description == "spaced"
    client.set_registered_model_alias(name, "champion", "1")
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    got = Path(mlflow.artifacts.download_artifacts(f"models:/{name}/1", dst_path=str(tmp_path)))
    assert (got / "weights.txt").read_text() == "w"
    assert [m.name for m in client.search_registered_models(f"name = '{name}'")] == [name]
    renamed = f"{name} renamed"
    client.rename_registered_model(name, renamed)
    assert client.get_model_version(renamed, "1").name == renamed


@pytest.mark.parametrize(
    ("bad", "wording"),
    [
        ("a/b", "Names cannot contain '/' or ':'"),
        ("a:b", "Names cannot contain '/' or ':'"),
        ("   ", "Missing value for required parameter 'name'"),
        ("..", "must not resolve to other names"),
        ("a\x00b", "control character"),
    ],
)
def test_unsafe_names_stay_refused(client: Any, bad: str, wording: str) -> None:
    error = _error(lambda: client.create_registered_model(bad))
    assert error.error_code == "INVALID_PARAMETER_VALUE" and wording in error.message


def test_a_logged_model_without_files_becomes_a_version(client: Any) -> None:
    experiment_id = client.create_experiment(_name("exp"))
    logged = client.create_logged_model(experiment_id, name="empty")
    name = _name()
    client.create_registered_model(name)
    made = client.create_model_version(name, f"models:/{logged.model_id}", model_id=logged.model_id)
    assert made.version == "1" and made.source == f"models:/{logged.model_id}"
    got = client.get_model_version(name, "1")
    assert got.source == f"models:/{logged.model_id}" and got.status == "READY"


def test_errors_are_worded_as_mlflow_words_them(client: Any) -> None:
    name = _name()
    client.create_registered_model(name)
    taken = _error(lambda: client.create_registered_model(name))
    assert taken.error_code == "RESOURCE_ALREADY_EXISTS"
    assert f"Registered Model (name={name}) already exists" in taken.message
    missing = _error(lambda: client.get_registered_model(name + "-x"))
    assert missing.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert f"Registered Model with name={name}-x not found" in missing.message
    no_version = _error(lambda: client.get_model_version(name, "7"))
    assert no_version.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert f"Model Version (name={name}, version=7) not found" in no_version.message
    other = _name()
    client.create_registered_model(other)
    clash = _error(lambda: client.rename_registered_model(name, other))
    assert f"Registered Model (name={other}) already exists" in clash.message


def test_a_copied_version_loads_the_files_of_its_source(client: Any, tmp_path: Path) -> None:
    import mlflow

    experiment_id = client.create_experiment(_name("exp"))
    run = client.create_run(experiment_id)
    (tmp_path / "weights.txt").write_text("w")
    client.log_artifact(run.info.run_id, str(tmp_path / "weights.txt"), "model")
    source, copy = _name("source"), _name("copy")
    client.create_registered_model(source)
    client.create_model_version(source, f"runs:/{run.info.run_id}/model", run.info.run_id)
    copied = client.copy_model_version(f"models:/{source}/1", copy)
    assert (copied.name, copied.version, copied.source) == (copy, "1", f"models:/{source}/1")
    got = Path(mlflow.artifacts.download_artifacts(f"models:/{copy}/1", dst_path=str(tmp_path)))
    assert (got / "weights.txt").read_text() == "w"
