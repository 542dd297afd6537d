"""MLflow's own client against a real ``trailmark server`` process (one per test module).

Tests share the module's server and keep apart by giving each experiment a unique name.
MLflow's client is configured through the environment (it reads nothing else): no telemetry,
no progress bars, and few quick retries so that a server error fails a test at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import pg_server
from tests.support import ServerProcess, start_server
from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings

__all__ = ["pg_server"]  # a real server on PostgreSQL, for tests marked postgres

MLFLOW_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    "MLFLOW_ALLOW_FILE_STORE": "true",
    # log_model infers pip requirements by importing the model in a subprocess (~20 s here);
    # time it out at once and let MLflow fall back to the flavor's default requirements.
    "MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT": "1",
}


@pytest.fixture(scope="session", autouse=True)
def mlflow_environment() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in MLFLOW_ENV.items():
            patch.setenv(key, value)
        yield


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server process on SQLite, shared by the tests of one module."""
    proc = start_server(tmp_path_factory.mktemp("mlflow-server"))
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def tracking(server: ServerProcess) -> Iterator[Any]:
    """MLflow's fluent API and an ``MlflowClient`` pointed at the server."""
    import mlflow

    mlflow.set_tracking_uri(server.url)
    mlflow.set_registry_uri(server.url)
    try:
        yield mlflow.MlflowClient(server.url)
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.set_tracking_uri("")


@pytest.fixture
def experiment_name() -> str:
    return f"exp-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[TestClient]:
    """The app in-process, for raw requests to the MLflow routes."""
    app = create_app(ServerSettings(data_dir=tmp_path))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client
    app.state.store.close()
