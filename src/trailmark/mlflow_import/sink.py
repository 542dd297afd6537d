"""Where an import writes: a Trailmark data dir (or database) in-process, or a server.

Both speak the MLflow REST API that Trailmark serves, so an import is the same sequence of
requests either way: :class:`LocalSink` calls the endpoint handlers directly on a
:class:`~trailmark.store.store.Store`, :class:`HttpSink` sends them to ``/api/2.0/mlflow``.
Errors come back as Trailmark's typed errors in both cases.
"""

from __future__ import annotations

import hashlib
import http.client
import urllib.parse
from pathlib import Path
from typing import Any, Protocol

import orjson

from trailmark.client.http import HttpClient, HttpError
from trailmark.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    TrailmarkError,
    Unavailable,
)
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

    def __init__(self, data_dir: Path, db_url: str | None = None) -> None:
        from trailmark.server.mlflow import all_endpoints, artifacts

        self.store = Store.open(db_url, data_dir)
        self.description = db_url or str(data_dir)
        self._endpoints = all_endpoints()
        self._save = artifacts.save_file
        self._target = artifacts.parse_target

    def call(self, method: str, path: str, fields: dict[str, Any]) -> dict[str, Any]:
        from trailmark.server.mlflow.mapping import Fields

        handler = self._endpoints.get((method, "/api/2.0/mlflow" + path))
        if handler is None:
            raise InvalidInput(f"no MLflow endpoint {method} {path}")
        return handler(self.store, Fields(dict(fields)))

    def upload(self, artifact_path: str, local: Path) -> None:
        hasher = hashlib.sha256()
        with local.open("rb") as f:
            while chunk := f.read(1 << 20):
                hasher.update(chunk)
            size = f.tell()
            f.seek(0)
            self._save(self.store, self._target(artifact_path), f, hasher.hexdigest(), size)

    def close(self) -> None:
        self.store.close()


class HttpSink:
    """A Trailmark server, through its MLflow-compatible REST API."""

    def __init__(self, url: str, timeout: float = 120.0) -> None:
        self.client = HttpClient(url, timeout=timeout)
        self.description = self.client.base_url
        self.timeout = timeout

    def call(self, method: str, path: str, fields: dict[str, Any]) -> dict[str, Any]:
        full = "/api/2.0/mlflow" + path
        body = None
        if method == "GET":
            full += "?" + urllib.parse.urlencode(fields, doseq=True)
        else:
            body = orjson.dumps(fields)
        try:
            data = self.client.request_raw(method, full, body)
        except HttpError as exc:
            raise _mlflow_error(exc) from None
        answer = orjson.loads(data) if data else {}
        return answer if isinstance(answer, dict) else {}

    def upload(self, artifact_path: str, local: Path) -> None:
        parsed = urllib.parse.urlsplit(self.client.base_url)
        cls = (
            http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
        )
        conn = cls(parsed.hostname or "localhost", parsed.port, timeout=self.timeout)
        path = parsed.path + ARTIFACTS + urllib.parse.quote(artifact_path)
        try:
            with local.open("rb") as f:
                conn.request(
                    "PUT",
                    path,
                    body=f,
                    headers={"Content-Length": str(local.stat().st_size)},
                )
                response = conn.getresponse()
                data = response.read()
        except OSError as exc:
            raise Unavailable(f"cannot reach {self.description}: {exc}") from exc
        finally:
            conn.close()
        if not 200 <= response.status < 300:
            raise _mlflow_error(
                HttpError(response.status, "http_error", data.decode(errors="replace"))
            )

    def close(self) -> None:
        self.client.close()


def _mlflow_error(exc: HttpError) -> TrailmarkError:
    if exc.status == 0:
        return Unavailable(exc.message)
    try:
        body = orjson.loads(exc.message)
        code, message = str(body["error_code"]), str(body["message"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return exc.to_trailmark()
    return _ERRORS.get(code, TrailmarkError)(message)
