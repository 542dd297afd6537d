"""Real Trailmark servers for the MLflow parity modules: one per database, and an MLflow
client pointed at one (tracking and registry)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _create_pg_database, _drop_pg_database
from tests.support import ServerProcess, start_server

DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
"""Parameters of a module-scoped server fixture: once on SQLite, once on PostgreSQL."""


@contextlib.contextmanager
def server_on(database: str, data_dir: Path) -> Iterator[ServerProcess]:
    """A real server process on SQLite, or on a fresh PostgreSQL database dropped after."""
    if database == "sqlite":
        proc = start_server(data_dir)
        try:
            yield proc
        finally:
            proc.stop()
        return
    name, url = _create_pg_database()
    proc = start_server(data_dir, db=url)
    try:
        yield proc
    finally:
        proc.stop()
        _drop_pg_database(name)


@contextlib.contextmanager
def mlflow_client_of(server: ServerProcess) -> Iterator[Any]:
    """The real ``MlflowClient`` on ``server``, with mlflow's global URIs pointed there too."""
    import mlflow

    mlflow.set_tracking_uri(server.url)
    mlflow.set_registry_uri(server.url)
    try:
        yield mlflow.MlflowClient(server.url, server.url)
    finally:
        mlflow.set_tracking_uri("")
        mlflow.set_registry_uri("")
