"""Reading an MLflow tracking store with MLflow's own client (imported only when needed)."""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path
from typing import Any

from trailmark.errors import InvalidInput, NotInstalled

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
PAGE = 1000


def tracking_uri(source: str) -> str:
    """An MLflow tracking URI for ``source``: a URI as given, or an ``mlruns`` folder."""
    if _SCHEME.match(source) and not re.match(r"^[A-Za-z]:[\\/]", source):
        return source
    path = Path(source).expanduser()
    if not path.is_dir():
        raise InvalidInput(
            f"{source!r} is neither an MLflow tracking URI (http://host:5000, sqlite:///mlflow.db, "
            "postgresql://...) nor an mlruns folder"
        )
    # MLflow 3 refuses to open folder stores unless told to; we only read from it.
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return path.resolve().as_uri()


def redacted(uri: str) -> str:
    """``uri`` without credentials, for messages and the provenance tag."""
    parts = urllib.parse.urlsplit(uri)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        parts = parts._replace(netloc=netloc)
    return urllib.parse.urlunsplit(parts._replace(query=""))


class MlflowSource:
    """Experiments, runs, metric histories and artifacts of an MLflow tracking store."""

    def __init__(self, source: str) -> None:
        try:
            from mlflow import MlflowClient
        except ImportError:
            raise NotInstalled(
                "importing from MLflow needs the mlflow package: pip install 'trailmark[mlflow]'"
            ) from None
        self.uri = tracking_uri(source)
        self.client: Any = MlflowClient(tracking_uri=self.uri)

    @staticmethod
    def _view(include_deleted: bool) -> Any:
        from mlflow.entities import ViewType

        return ViewType.ALL if include_deleted else ViewType.ACTIVE_ONLY

    def experiments(self) -> list[Any]:
        """The active experiments (a deleted experiment's runs are not imported)."""
        found: list[Any] = []
        token = None
        while True:
            page = self.client.search_experiments(
                view_type=self._view(False), max_results=PAGE, page_token=token
            )
            found.extend(page)
            token = page.token
            if not token:
                return found

    def runs(self, experiment_id: str, include_deleted: bool) -> list[Any]:
        found: list[Any] = []
        token = None
        while True:
            page = self.client.search_runs(
                [experiment_id],
                run_view_type=self._view(include_deleted),
                max_results=PAGE,
                order_by=["attributes.start_time ASC"],
                page_token=token,
            )
            found.extend(page)
            token = page.token
            if not token:
                return found

    def history(self, run_id: str, key: str) -> list[Any]:
        return list(self.client.get_metric_history(run_id, key))

    def files(self, run_id: str, path: str | None = None) -> list[tuple[str, int | None]]:
        """Every artifact file of a run (recursively) with its size."""
        out: list[tuple[str, int | None]] = []
        for info in self.client.list_artifacts(run_id, path):
            if info.is_dir:
                out.extend(self.files(run_id, info.path))
            else:
                out.append((info.path, info.file_size))
        return out

    def download(self, run_id: str, path: str, into: Path) -> Path:
        return Path(self.client.download_artifacts(run_id, path, str(into)))
