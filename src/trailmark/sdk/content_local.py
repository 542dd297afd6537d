"""Content into the local data dir: the store (SQLite) and the blob folder, without a server."""

from __future__ import annotations

import getpass
import threading
from pathlib import Path
from typing import Any

from trailmark.errors import InvalidInput
from trailmark.manifest import Entry, check_entries
from trailmark.sdk.content import FileSource, Progress, Sink

REGISTRY_OPS = frozenset(
    {
        "list_models",
        "get_model",
        "create_model",
        "create_version",
        "get_version",
        "list_versions",
        "set_alias",
        "delete_alias",
        "set_stage",
        "events",
    }
)


MUTATING_OPS = frozenset(
    {"create_model", "create_version", "set_alias", "delete_alias", "set_stage"}
)


def local_user() -> str:
    """Who changes the local registry: the operating system's user name."""
    try:
        return getpass.getuser() or "anonymous"
    except (KeyError, OSError):
        return "anonymous"


class LocalContent:
    """The :class:`~trailmark.sdk.content.ContentClient` of a data dir (or a database URL)."""

    uses_cache = False

    def __init__(self, data_dir: Path, db_url: str | None = None) -> None:
        self.data_dir = data_dir
        self.db_url = db_url
        self._store: Any = None
        self._lock = threading.Lock()
        self.bytes_uploaded = 0

    @property
    def store(self) -> Any:
        # Imported here: the store (SQLAlchemy) loads on first use, never at `import trailmark`.
        with self._lock:
            if self._store is None:
                from trailmark.store.store import Store

                self._store = Store.open(self.db_url, self.data_dir)
            return self._store

    def missing(self, project: str, digests: list[str]) -> list[str]:
        return list(self.store.uploads.missing(digests))

    def upload(self, project: str, digest: str, size: int, path: Path, progress: Progress) -> None:
        with path.open("rb") as source:
            self.store.uploads.put(digest, source)
        with self._lock:
            self.bytes_uploaded += size
        progress(size)

    def create_version(self, project: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        version, created = self.store.artifacts.create_version(
            project,
            name,
            type=body["type"],
            entries=check_entries(body["files"]),
            metadata=body.get("metadata"),
            description=body.get("description") or "",
            run_id=body.get("run_id"),
            aliases=body.get("aliases"),
        )
        return {**version, "new_version": created}

    def get_version(self, project: str, name: str, ref: str) -> dict[str, Any]:
        return dict(self.store.artifacts.get_version(project, name, ref))

    def use(self, project: str, name: str, ref: str, run_id: str) -> dict[str, Any]:
        return dict(self.store.artifacts.use(project, name, ref, run_id))

    def files(self, source: FileSource) -> list[Entry]:
        if source.kind == "artifact":
            assert source.project is not None
            entries, _ = self.store.artifacts.files(
                source.project, source.name, f"v{source.version}"
            )
        elif source.kind == "model":
            entries, _ = self.store.registry.files(source.name, source.version)
        else:
            raise InvalidInput(f"cannot list files of a {source.kind}")
        return list(entries)

    def fetch(self, source: FileSource, entry: Entry, sink: Sink) -> None:
        if entry.digest is None:
            raise InvalidInput(f"{entry.path} is a reference; fetch it from {entry.ref}")
        for chunk in self.store.blobs.read(entry.digest):
            sink.write(chunk)

    def add_run_files(
        self, project: str, run_id: str, files: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        return list(self.store.run_files.add(project, run_id, files))

    def registry(self, op: str, *args: Any, **kwargs: Any) -> Any:
        if op not in REGISTRY_OPS:
            raise ValueError(f"unknown registry operation {op!r}")
        if op in MUTATING_OPS:
            kwargs.setdefault("user", local_user())
        return getattr(self.store.registry, op)(*args, **kwargs)

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
