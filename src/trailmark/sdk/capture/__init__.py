"""Everything ``init`` records without more code: system metrics, console output, code, environment.

Each part runs on its own background thread and writes records through the run (``sys``,
``log`` and ``meta``; see :mod:`trailmark.records`), so ``init`` only starts threads and
``log()`` is untouched. Each is switched off by an ``init`` argument or a setting:
``system_interval=0``, ``console="off"``, ``capture_code=False``, ``capture_env=False``.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from trailmark.sdk.capture import console
from trailmark.sdk.capture.lines import ConsoleRecorder, Emit
from trailmark.sdk.capture.metadata import MetadataCapture
from trailmark.sdk.capture.system import SystemSampler
from trailmark.sdk.distributed import RankInfo


@dataclass(frozen=True)
class CaptureOptions:
    system_interval: float = 10.0
    console: str = "auto"
    code: bool = True
    environment: bool = True


class Captures:
    """The running captures of one run; :meth:`stop` ends them and restores the console."""

    def __init__(self) -> None:
        self.system: SystemSampler | None = None
        self.console_mode = "off"
        self._tap: console.ConsoleTap | None = None
        self._recorder: ConsoleRecorder | None = None
        self._metadata: MetadataCapture | None = None
        self._stopped = False
        self._console_lock = threading.Lock()
        self._starter = threading.Thread(target=self._start, name="trailmark-capture", daemon=True)

    def _start(self) -> None:
        # Threads are started here, not in init(): each Thread.start() waits for the new
        # thread to run, and with several starting at once that wait reaches milliseconds.
        with self._console_lock:  # a newer run may take the console over meanwhile
            if self._tap is not None:
                self._tap.start()
            if self._recorder is not None:
                self._recorder.start()
        if self.system is not None:
            self.system.start()
        if self._metadata is not None:
            self._metadata.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sampling, put stdout/stderr back and write what is left. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self._starter.is_alive():
            self._starter.join(timeout)
        if self.system is not None:
            self.system.stop(min(timeout, 2.0))
        self.release_console(min(timeout, 2.0))
        if self._metadata is not None:
            self._metadata.join(timeout)

    def release_console(self, timeout: float = 2.0) -> None:
        """Put stdout/stderr back and write the last lines (also when a newer run takes over)."""
        with self._console_lock:
            tap, recorder, self._tap, self._recorder = self._tap, self._recorder, None, None
        if tap is not None:
            try:
                tap.stop(timeout)
            finally:
                console.release(self)
        if recorder is not None:
            recorder.close(timeout)


def _start_console(captures: Captures, emit: Emit, requested: str) -> None:
    mode = console.choose_mode(requested)
    if mode == "off":
        return
    console.acquire(captures)
    recorder = ConsoleRecorder(emit)
    tap = console.open_tap(mode, recorder)
    try:
        tap.install()
    except OSError as exc:
        if mode != "redirect":
            console.release(captures)
            raise
        warnings.warn(
            f"trailmark: cannot redirect file descriptors 1 and 2 ({exc}); capturing "
            "Python-level output only (console='wrap')",
            stacklevel=4,
        )
        mode = "wrap"
        tap = console.open_tap(mode, recorder)
        tap.install()
    captures._tap, captures._recorder, captures.console_mode = tap, recorder, mode


def start_captures(emit: Emit, options: CaptureOptions, rank: RankInfo, data_dir: Path) -> Captures:
    """Start every capture ``options`` asks for; each writes its records through ``emit``."""
    captures = Captures()
    if options.console != "off":
        _start_console(captures, emit, options.console)
    if options.system_interval > 0:
        captures.system = SystemSampler(
            emit, options.system_interval, data_dir, machine=rank.samples_machine
        )
    if options.code or options.environment:
        captures._metadata = MetadataCapture(
            emit, code=options.code, environment=options.environment, primary=rank.primary
        )
        captures._metadata.prepare()
    captures._starter.start()
    return captures
