"""Console text turned into lines and shipped in ``log`` records.

Carriage returns (progress bars such as tqdm redrawing one line) are collapsed: a line keeps
only its last non-blank state, so a bar that redrew itself a thousand times is one line
showing where it ended. Lines longer than :data:`MAX_CONSOLE_LINE_CHARS` are cut, with a
note saying how much was left out. Lines are batched and written by a background thread
about once a second, so a print in the training loop costs only the parsing here.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from trailmark import records as rec
from trailmark.limits import MAX_CONSOLE_LINE_CHARS

Emit = Callable[[dict[str, Any]], None]

_BREAK = re.compile(r"[\r\n]")

FLUSH_INTERVAL = 1.0
FLUSH_LINES = 1000
FLUSH_CHARS = 256 * 1024
MAX_PENDING_LINES = 100_000
"""Lines held while the writer thread is behind; beyond this they are counted, not kept."""


class _PartialLine:
    """The unfinished line of one stream, its carriage-return history collapsed."""

    __slots__ = ("dropped", "had_cr", "kept", "kept_dropped", "parts", "size")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0
        self.kept: str | None = None
        self.kept_dropped = 0
        self.had_cr = False

    def append(self, piece: str) -> None:
        room = MAX_CONSOLE_LINE_CHARS - self.size
        if len(piece) <= room:
            self.parts.append(piece)
            self.size += len(piece)
            return
        if room > 0:
            self.parts.append(piece[:room])
            self.size = MAX_CONSOLE_LINE_CHARS
        self.dropped += len(piece) - max(room, 0)

    def carriage_return(self) -> None:
        segment = "".join(self.parts)
        if segment.strip():
            self.kept, self.kept_dropped = segment, self.dropped
        self.parts, self.size, self.dropped, self.had_cr = [], 0, 0, True

    @property
    def empty(self) -> bool:
        return not self.parts and not self.had_cr

    def take(self) -> str | None:
        """The finished line (``None`` for a progress line that was cleared), and reset."""
        text: str | None = "".join(self.parts)
        dropped = self.dropped
        if self.had_cr and not (text or "").strip():
            text, dropped = self.kept, self.kept_dropped
        self.parts, self.size, self.dropped = [], 0, 0
        self.kept, self.kept_dropped, self.had_cr = None, 0, False
        if text is None:
            return None
        if dropped:
            text += (
                f" [trailmark: line cut at {MAX_CONSOLE_LINE_CHARS} characters;"
                f" {dropped} more not kept]"
            )
        return text


class ConsoleRecorder:
    """Collects the lines of stdout and stderr and writes them as ``log`` records.

    ``feed`` may be called from any thread (the training thread in wrap mode, the pipe
    reader in redirect mode); it never writes records itself, so a thread that must not
    block (the pipe reader) never waits on the spool.
    """

    def __init__(self, emit: Emit, flush_interval: float = FLUSH_INTERVAL) -> None:
        self._emit = emit
        self._flush_interval = flush_interval
        self._lock = threading.Lock()
        self._partial = {stream: _PartialLine() for stream in rec.STREAMS}
        self._pending: list[list[Any]] = []
        self._pending_chars = 0
        self._lost = 0
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._flush_loop, name="trailmark-console", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def feed(self, stream: str, text: str, now: float | None = None) -> None:
        """Take console text as it was written (any pieces, any line endings)."""
        when = time.time() if now is None else now
        with self._lock:
            line = self._partial[stream]
            pos = 0
            for found in _BREAK.finditer(text):
                start = found.start()
                if start > pos:
                    line.append(text[pos:start])
                if text[start] == "\n":
                    self._finish_line(stream, line, when)
                else:
                    line.carriage_return()
                pos = start + 1
            if pos < len(text):
                line.append(text[pos:])
            full = len(self._pending) >= FLUSH_LINES or self._pending_chars >= FLUSH_CHARS
        if full:
            self._wake.set()

    def _finish_line(self, stream: str, line: _PartialLine, when: float) -> None:
        text = line.take()
        if text is None:
            return
        if len(self._pending) >= MAX_PENDING_LINES:
            self._lost += 1
            return
        self._pending.append([when, stream, text])
        self._pending_chars += len(text)

    def flush(self) -> None:
        """Write the finished lines waiting so far as one record."""
        with self._lock:
            lines, self._pending, self._pending_chars = self._pending, [], 0
            if self._lost:
                note = f"[trailmark: {self._lost} console lines were not kept: output came faster than it could be recorded]"
                lines.append([time.time(), "stderr", note])
                self._lost = 0
        batch: list[list[Any]] = []
        chars = 0
        for line in lines:  # records of at most FLUSH_LINES lines or about FLUSH_CHARS
            if batch and (len(batch) >= FLUSH_LINES or chars + len(line[2]) > FLUSH_CHARS):
                self._emit({"t": rec.CONSOLE, "lines": batch})
                batch, chars = [], 0
            batch.append(line)
            chars += len(line[2])
        if batch:
            self._emit({"t": rec.CONSOLE, "lines": batch})

    def _flush_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._flush_interval)
            self._wake.clear()
            if self._pending:
                self.flush()

    def close(self, timeout: float = 5.0) -> None:
        """Finish every partial line (a bar left without its newline) and write the rest."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        now = time.time()
        with self._lock:
            for stream, line in self._partial.items():
                if not line.empty:
                    self._finish_line(stream, line, now)
        self.flush()
