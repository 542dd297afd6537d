"""``NullRun``: what ``trailmark.init(mode="disabled")`` returns.

A null object: every public method of :class:`~trailmark.Run` works and records nothing, so
a script runs unchanged with tracking switched off. It has no spool, no sender and no
captures; it is a :class:`~trailmark.Run` only so that code typed against ``Run`` accepts
it. Every public method is overridden here (a test checks that none is inherited), so a
method added to ``Run`` cannot reach a spool that is not there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from trailmark import records as rec
from trailmark.errors import InvalidInput
from trailmark.sdk.config import Config, Summary
from trailmark.sdk.run import Mode, Run
from trailmark.sdk.sender import ShipReport

if TYPE_CHECKING:
    from trailmark.manifest import Entry
    from trailmark.sdk.artifacts import Artifact
    from trailmark.sdk.content import FileSource, Progress, Sink


def _ignore(values: dict[str, Any]) -> None:
    return None


class NullRun(Run):
    """A run that records nothing (``init(mode="disabled")``); every call is a cheap no-op.

    What it gives back: ``config`` and ``summary`` keep what the script sets (so code that
    reads them back works) and send nothing; ``save`` and ``log_file`` return the names
    they would have saved; ``log_artifact`` returns the artifact, not logged;
    ``use_artifact`` returns an empty artifact whose ``download()`` makes and returns an
    empty directory; ``finish`` returns None.

    Example::

        run = trailmark.init(project="mnist", mode="disabled")
        run.log({"loss": 0.5})          # nothing is written anywhere
        run.finish()
    """

    def __init__(self, *, run_id: str, project: str, name: str | None, config: Mapping[str, Any]):
        # Not Run.__init__: there is no spool, sender or capture to set up.
        self.id = run_id
        self.rank = None
        self.project = project
        self.name = name
        self.mode: Mode = "disabled"
        self.spool_path = Path(os.devnull)
        self._finished = False
        self._pid = os.getpid()
        self._step = 0
        self.config = Config(config, _ignore)
        self.summary = Summary(_ignore, {})

    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool = True) -> None:
        return None

    def define_metric(self, name: str, summary: str = "last") -> None:
        if summary not in rec.SUMMARY_MODES:  # the same mistake fails in every mode
            raise ValueError(
                f"summary must be one of {', '.join(rec.SUMMARY_MODES)}, got {summary!r}"
            )

    def set_tags(self, tags: list[str]) -> None:
        return None

    def set_notes(self, notes: str) -> None:
        return None

    @property
    def step(self) -> int:
        return self._step

    def log_artifact(self, artifact: Artifact, aliases: list[str] | None = None) -> Artifact:
        return artifact

    def use_artifact(self, ref: str) -> Artifact:
        from trailmark.sdk.artifacts import Artifact

        return Artifact._empty(ref, _NoDestination())

    def save(
        self, path: str | os.PathLike[str], base_path: str | os.PathLike[str] | None = None
    ) -> list[str]:
        from trailmark.sdk.uploader import expand

        return [name for name, _ in expand(path, base_path)]

    def log_file(self, path: str | os.PathLike[str], name: str | None = None) -> str:
        return name or Path(path).name

    def finish(
        self,
        exit_code: int = 0,
        timeout: float | None = None,
        *,
        state: str | None = None,
        error: str | None = None,
    ) -> ShipReport | None:
        self._finished = True
        return None

    def finish_with_exception(
        self,
        exc_type: type[BaseException],
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finished = True

    def __enter__(self) -> NullRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finished = True

    def __repr__(self) -> str:
        return f"<NullRun {self.project}/{self.id} (disabled)>"


class _NoDestination:
    """The content client of a run that records nothing: it holds no files."""

    uses_cache = False

    def _refuse(self) -> InvalidInput:
        return InvalidInput("a disabled run has no destination for files")

    def missing(self, project: str, digests: list[str]) -> list[str]:
        raise self._refuse()

    def upload(self, project: str, digest: str, size: int, path: Path, progress: Progress) -> None:
        raise self._refuse()

    def create_version(self, project: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        raise self._refuse()

    def get_version(self, project: str, name: str, ref: str) -> dict[str, Any]:
        raise self._refuse()

    def use(self, project: str, name: str, ref: str, run_id: str) -> dict[str, Any]:
        raise self._refuse()

    def files(self, source: FileSource) -> list[Entry]:
        return []

    def fetch(self, source: FileSource, entry: Entry, sink: Sink) -> None:
        raise self._refuse()

    def add_run_files(
        self, project: str, run_id: str, files: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        raise self._refuse()

    def registry(self, op: str, *args: Any, **kwargs: Any) -> Any:
        raise self._refuse()

    def close(self) -> None:
        return None
