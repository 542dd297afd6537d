"""Where artifacts, run files and registered models go: a server, or the local data dir.

:class:`ContentClient` is the one small protocol both destinations implement
(:mod:`.content_http` over the REST API, :mod:`.content_local` straight into the store and
the blob folder of the data dir). A run chooses one when it starts; nothing else branches
on where data goes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from trailmark.manifest import Entry

Progress = Callable[[int], None]


class Sink(Protocol):
    """Where downloaded bytes go: a file, or a wrapper that hashes them on the way."""

    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True)
class FileSource:
    """Whose file an entry is: an artifact version, a model version, or a run."""

    kind: str  # "artifact" | "model" | "run"
    name: str  # artifact name, model name or run id
    project: str | None = None
    version: int | None = None

    def describe(self) -> str:
        if self.kind == "artifact":
            return f"{self.project}/{self.name}:v{self.version}"
        if self.kind == "model":
            return f"model {self.name} version {self.version}"
        return f"run {self.name}"


class ContentClient(Protocol):
    """Uploads, versions and downloads of file contents, and the model registry."""

    uses_cache: bool
    """Whether downloads should be cached in the data dir (not needed for local blobs)."""

    def missing(self, project: str, digests: list[str]) -> list[str]: ...
    def upload(self, project: str, digest: str, size: int, path: Path, progress: Progress) -> None:
        """Store the file at ``path`` as ``digest`` (resuming an interrupted upload)."""
        ...

    def create_version(self, project: str, name: str, body: dict[str, Any]) -> dict[str, Any]: ...
    def get_version(self, project: str, name: str, ref: str) -> dict[str, Any]: ...
    def use(self, project: str, name: str, ref: str, run_id: str) -> dict[str, Any]: ...
    def files(self, source: FileSource) -> list[Entry]: ...
    def fetch(self, source: FileSource, entry: Entry, sink: Sink) -> None:
        """Write the stored content of ``entry`` into ``sink`` (the caller verifies it)."""
        ...

    def add_run_files(
        self, project: str, run_id: str, files: list[dict[str, Any]]
    ) -> list[dict[str, Any]]: ...

    # the model registry
    def registry(self, op: str, *args: Any, **kwargs: Any) -> Any:
        """Call :class:`~trailmark.store.registry.ModelRegistry` method ``op`` (locally or
        through the REST API): list_models, get_model, create_version, get_version,
        list_versions, set_alias, delete_alias, set_stage, events."""
        ...

    def close(self) -> None: ...
