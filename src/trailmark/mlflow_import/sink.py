"""Where an import writes: a Trailmark data dir (or database) in-process, or a server.

Both speak the MLflow REST API that Trailmark serves, so an import is the same sequence of
requests either way: :class:`LocalSink` calls the server's handlers
(:mod:`trailmark.mlflow_api.endpoints`, no web framework) on a
:class:`~trailmark.store.store.Store`, :class:`HttpSink` sends them to ``/api/2.0/mlflow``.
Errors come back as Trailmark's typed errors in both cases.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from pathlib import Path
from typing import Any, Protocol

import orjson

from trailmark.client import Client, FileSlice, HttpError
from trailmark.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    TrailmarkError,
    Unavailable,
)
from trailmark.redact import display_url
from trailmark.store.store import Store

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts/"
_ERRORS: dict[str, type[TrailmarkError]] = {
    "RESOURCE_DOES_NOT_EXIST": NotFound,
    "RESOURCE_ALREADY_EXISTS": Conflict,
    "INVALID_PARAMETER_VALUE": InvalidInput,
    "BAD_REQUEST": InvalidInput,
    "TEMPORARILY_UNAVAILABLE": Unavailable,
}


class Sink(Protocol):
    """The Trailmark an import writes to."""

    description: str

    def call(self, method: str, path: str, fields: dict[str, Any]) -> dict[str, Any]:
        """One MLflow REST call (``path`` under ``/api/2.0/mlflow``), its JSON answer."""
        ...

    def upload(self, artifact_path: str, local: Path) -> None:
        """Store a file at ``artifact_path`` (``EXPERIMENT/RUN_ID/artifacts/PATH``)."""
        ...

    def close(self) -> None: ...


class LocalSink:
    """A data dir (SQLite and a blob folder) or a database, written in this process."""

    def __init__(self, data_dir: Path, db_url: str | None = None, user: str = "anonymous") -> None:
        self.store = Store.open(db_url, data_dir)
        self.description = display_url(db_url) if db_url else str(data_dir)
        self.user = user

    def call(self, method: str, path: str, fields: dict[str, Any]) -> dict[str, Any]:
        # the handlers of the server's endpoints table, without HTTP (and without FastAPI)
        from trailmark.mlflow_api.endpoints import API, call

        return call(self.store, method, API + path, fields, self.user)

    def upload(self, artifact_path: str, local: Path) -> None:
        from trailmark.mlflow_api.artifacts import parse_target, save_file

        hasher = hashlib.sha256()
        with local.open("rb") as f:
            while chunk := f.read(1 << 20):
                hasher.update(chunk)
            size = f.tell()
            f.seek(0)
            save_file(self.store, parse_target(artifact_path), f, hasher.hexdigest(), size)

    def close(self) -> None:
        self.store.close()


class HttpSink:
    """A Trailmark server, through its MLflow-compatible REST API."""

    def __init__(self, url: str, timeout: float = 120.0) -> None:
        from trailmark.credentials import auth_for

        # The key `trailmark login` kept for this server, or TRAILMARK_API_KEY.
        self.client = Client(url, timeout=timeout, errors=_mlflow_error, auth=auth_for(url))
        self.description = display_url(self.client.base_url)
        self.timeout = timeout

    def call(self, method: str, path: str, fields: dict[str, Any]) -> dict[str, Any]:
        full = "/api/2.0/mlflow" + path
        if method == "GET":
            full += "?" + urllib.parse.urlencode(fields, doseq=True)
            answer = self.client.request(method, full).json()
        else:
            answer = self.client.request(method, full, json=fields).json()
        return answer if isinstance(answer, dict) else {}

    def upload(self, artifact_path: str, local: Path) -> None:
        with local.open("rb") as f:
            body = FileSlice(f, 0, local.stat().st_size)
            self.client.stream("PUT", ARTIFACTS + urllib.parse.quote(artifact_path), upload=body)

    def close(self) -> None:
        self.client.close()


def _mlflow_error(exc: HttpError) -> TrailmarkError:
    """The client's error mapper: MLflow's ``{"error_code", "message"}`` bodies, typed."""
    if exc.status == 0:
        return Unavailable(exc.message)
    try:
        body = orjson.loads(exc.body)
        code, message = str(body["error_code"]), str(body["message"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return exc.to_trailmark()
    return _ERRORS.get(code, TrailmarkError)(message)
