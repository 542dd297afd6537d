"""The run's code and environment, collected once on a background thread as ``meta`` records.

Rank 0 (or a process without a rank) records the program, git state, environment and host;
another rank only its host. Bulky parts (the diff, the package list) go in the record's
``large`` entries, kept by the store beside the run row.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any

from trailmark import records as rec
from trailmark.sdk.capture.lines import Emit


class MetadataCapture:
    """Collects code and environment metadata on a thread (git and the package list take
    tens of milliseconds) and writes ``meta`` records when ready."""

    def __init__(self, emit: Emit, *, code: bool, environment: bool, primary: bool) -> None:
        self._emit = emit
        self._code = code
        self._environment = environment
        self._primary = primary
        self._program_dir: Path | None = None
        self._thread = threading.Thread(target=self._run, name="trailmark-metadata", daemon=True)

    def prepare(self) -> None:
        from trailmark.sdk.capture.code import program_dir

        self._program_dir = program_dir()  # now: the program may chdir later

    def start(self) -> None:
        self._thread.start()

    def _write(self, light: dict[str, Any], large: dict[str, Any]) -> None:
        record: dict[str, Any] = {"t": rec.META, "d": light}
        if large:
            record["large"] = large
        self._emit(record)

    def _run(self) -> None:
        from trailmark.sdk.capture.code import git_metadata, program_metadata
        from trailmark.sdk.capture.environment import environment_metadata, host_metadata

        try:
            if self._environment:
                if self._primary:
                    light, large = environment_metadata()
                    self._write({"environment": light, "host": host_metadata()}, large)
                else:  # the run's environment comes from rank 0; each rank names its host
                    self._write({"host": host_metadata()}, {})
            if self._code and self._primary:
                code: dict[str, Any] = program_metadata()
                large = {}
                git = git_metadata(self._program_dir or Path.cwd())
                if git is not None:
                    if "diff" in git:
                        large["git.diff"] = git.pop("diff")
                    code["git"] = git
                self._write(code, large)
        except Exception as exc:  # metadata is a nicety: never let it break a run
            warnings.warn(f"trailmark: could not record the run's metadata: {exc}", stacklevel=1)

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)
