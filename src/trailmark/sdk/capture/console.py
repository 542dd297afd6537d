"""Capturing stdout and stderr while the user still sees them unchanged.

``redirect`` (Linux): file descriptors 1 and 2 are pointed at pipes; a thread reads them,
writes every byte on to the original descriptors at once and records the lines. This also
catches what C extensions, ``os.write(1, ...)`` and child processes write. Where the
original is a terminal the pipe is a pseudo-terminal of the same size, so programs that
ask ``isatty()`` (colours, progress bars) behave as without capture.
``wrap``: ``sys.stdout``/``sys.stderr`` are replaced by tees; only Python-level writes are seen.
``auto`` picks redirect where ``sys.stdout``/``sys.stderr`` really are descriptors 1 and 2
on Linux (not under Jupyter or pytest's capture), and wrap otherwise.

Only one run at a time captures a process's console: a new run takes it over from one
still open (a notebook that called ``init`` twice); ``stop`` puts everything back.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import select
import sys
import threading
import time
import warnings
from typing import Any, Protocol

from trailmark.sdk.capture.lines import ConsoleRecorder

_FDS = (("stdout", 1), ("stderr", 2))
READ_SIZE = 65536


class ConsoleOwner(Protocol):
    def release_console(self) -> None:
        """Stop capturing the console and put it back as it was."""


_owner_lock = threading.Lock()
_owner: ConsoleOwner | None = None


class ConsoleTap(Protocol):
    def install(self) -> None:
        """Start capturing now (cheap: no thread is started)."""

    def start(self) -> None:
        """Start the background work, if any (from a background thread)."""

    def stop(self, timeout: float) -> None: ...


def acquire(owner: ConsoleOwner) -> None:
    """Claim the process's console for ``owner``, taking it from a run that holds it."""
    global _owner
    with _owner_lock:
        previous, _owner = _owner, owner
    if previous is not None and previous is not owner:
        previous.release_console()


def release(owner: ConsoleOwner) -> None:
    global _owner
    with _owner_lock:
        if _owner is owner:
            _owner = None


def _streams_are_descriptors() -> bool:
    for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
        try:
            if stream is None or stream.fileno() != fd:
                return False
            os.fstat(fd)
        except (AttributeError, OSError, ValueError):
            return False
    return True


def choose_mode(requested: str) -> str:
    """The console mode to use: ``redirect``, ``wrap`` or ``off``."""
    if requested == "off":
        return "off"
    linux = sys.platform.startswith("linux")
    if requested == "redirect":
        if linux:
            return "redirect"
        warnings.warn(
            "trailmark: console='redirect' needs Linux file descriptors; capturing with "
            "console='wrap' instead (Python-level output only)",
            stacklevel=4,
        )
        return "wrap"
    if requested == "auto" and linux and _streams_are_descriptors():
        return "redirect"
    return "wrap"


def open_tap(mode: str, recorder: ConsoleRecorder) -> ConsoleTap:
    return FdRedirect(recorder) if mode == "redirect" else StreamWrap(recorder)


# wrap


class _Tee:
    """Stands in for ``sys.stdout``/``sys.stderr``: writes go to the original, then are recorded."""

    def __init__(self, original: Any, stream: str, recorder: ConsoleRecorder) -> None:
        self._original = original
        self._stream = stream
        self._recorder: ConsoleRecorder | None = recorder

    def write(self, text: str) -> int:
        written: int = self._original.write(text)
        recorder = self._recorder
        if recorder is not None and text:
            with contextlib.suppress(Exception):  # recording must never break a print
                recorder.feed(self._stream, text)
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def detach_recorder(self) -> None:
        self._recorder = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class StreamWrap:
    """Console capture by replacing ``sys.stdout`` and ``sys.stderr`` with tees."""

    def __init__(self, recorder: ConsoleRecorder) -> None:
        self._recorder = recorder
        self._tees: dict[str, _Tee] = {}

    def start(self) -> None:
        pass

    def install(self) -> None:
        for name, _fd in _FDS:
            original = getattr(sys, name)
            if original is None:
                continue
            tee = _Tee(original, name, self._recorder)
            self._tees[name] = tee
            setattr(sys, name, tee)

    def stop(self, timeout: float) -> None:
        for name, tee in self._tees.items():
            tee.detach_recorder()
            if getattr(sys, name) is tee:  # someone who replaced it after us keeps theirs
                setattr(sys, name, tee._original)
        self._tees.clear()


# redirect


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


_c_fflush: Any = None


def _prepare_c_flush() -> None:
    """Look up C's ``fflush`` ahead of :func:`_flush_c_stdio`, on the forwarding thread:
    loading ctypes takes ~2 ms of CPU, better spent while the run goes on than in
    ``finish()``, when every rank of a job ends at once."""
    global _c_fflush
    if _c_fflush is None:
        with contextlib.suppress(Exception):
            import ctypes

            _c_fflush = ctypes.CDLL(None).fflush


def _flush_c_stdio() -> None:
    """Flush C's stdio buffers (printf from extensions sits there while fd 1 is a pipe)."""
    _prepare_c_flush()
    with contextlib.suppress(Exception):
        _c_fflush(None)


def _open_pty(like: int) -> tuple[int, int]:
    """A pseudo-terminal (read end, write end) that passes bytes unchanged, sized as ``like``."""
    import fcntl
    import termios

    read_end, write_end = os.openpty()
    try:
        attrs = termios.tcgetattr(write_end)
        attrs[1] &= ~termios.OPOST  # no "\n" -> "\r\n": forward exactly what was written
        termios.tcsetattr(write_end, termios.TCSANOW, attrs)
        with contextlib.suppress(OSError):
            size = fcntl.ioctl(like, termios.TIOCGWINSZ, b"\0" * 8)
            fcntl.ioctl(write_end, termios.TIOCSWINSZ, size)
    except (OSError, termios.error):
        os.close(read_end)
        os.close(write_end)
        raise OSError("cannot set up a pseudo-terminal") from None
    return read_end, write_end


class FdRedirect:
    """Console capture by pointing file descriptors 1 and 2 at pipes read by a thread."""

    def __init__(self, recorder: ConsoleRecorder) -> None:
        self._recorder = recorder
        self._saved: dict[str, int] = {}
        self._pipes: dict[int, tuple[str, int]] = {}
        self._write_ends: list[int] = []  # ours, closed once drained (a pty loses data otherwise)
        self._wake_r, self._wake_w = -1, -1
        self._stop_requested = False
        self._closed = False
        self._close_lock = threading.Lock()
        self._drained = threading.Event()
        self._thread = threading.Thread(
            target=self._forward, name="trailmark-console-pipe", daemon=True
        )

    def install(self) -> None:
        """Point descriptors 1 and 2 at the pipes; output waits there until :meth:`start`."""
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        self._wake_r, self._wake_w = os.pipe()
        try:
            for name, fd in _FDS:
                self._saved[name] = saved = os.dup(fd)
                read_end, write_end = _open_pty(fd) if os.isatty(fd) else os.pipe()
                self._pipes[read_end] = (name, saved)
                self._write_ends.append(write_end)
                os.set_blocking(read_end, False)
            for (_name, fd), write_end in zip(_FDS, self._write_ends, strict=True):
                os.dup2(write_end, fd)
        except OSError:
            self._restore()
            for fd in (
                *self._pipes,
                *self._write_ends,
                *self._saved.values(),
                self._wake_r,
                self._wake_w,
            ):
                os.close(fd)
            raise

    def start(self) -> None:
        self._thread.start()

    def _close_write_ends(self) -> None:
        ends, self._write_ends = self._write_ends, []
        for fd in ends:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _restore(self) -> None:
        for name, fd in _FDS:
            saved = self._saved.get(name)
            if saved is not None:
                os.dup2(saved, fd)

    def stop(self, timeout: float) -> None:
        """Put descriptors 1 and 2 back and record everything written before that."""
        if not self._thread.is_alive() and not self._drained.is_set():
            self._thread.start()  # installed but never started: read what is waiting
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        _flush_c_stdio()
        self._restore()
        self._stop_requested = True
        with self._close_lock, contextlib.suppress(OSError):
            if not self._closed:
                os.write(self._wake_w, b"x")
        self._drained.wait(timeout)

    def _forward(self) -> None:
        _prepare_c_flush()
        poller = select.poll()
        for read_end in self._pipes:
            poller.register(read_end, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        decoders = {name: codecs.getincrementaldecoder("utf-8")("replace") for name, _fd in _FDS}
        forwarding = dict.fromkeys(self._saved.values(), True)
        recording = True
        open_pipes = dict(self._pipes)
        try:
            while open_pipes:
                draining = recording and self._stop_requested
                events = poller.poll(0 if draining else None)
                got_data = False
                for fd, _event in events:
                    if fd == self._wake_r:
                        with contextlib.suppress(OSError):
                            os.read(self._wake_r, 64)
                        continue
                    try:
                        data = os.read(fd, READ_SIZE)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    name, saved = open_pipes[fd]
                    if not data:  # every writer is gone (restored, and no child holds it)
                        poller.unregister(fd)
                        with contextlib.suppress(OSError):
                            os.close(fd)
                        del open_pipes[fd]
                        continue
                    got_data = True
                    if forwarding[saved]:
                        try:
                            _write_all(saved, data)
                        except OSError:  # the original output is gone (a closed pipe)
                            forwarding[saved] = False
                    if recording:
                        with contextlib.suppress(Exception):  # never stop forwarding output
                            self._recorder.feed(name, decoders[name].decode(data), time.time())
                if draining and not got_data:
                    # The descriptors are restored and the pipes hold nothing more from
                    # before that: what children still write is forwarded, not recorded.
                    for name, decoder in decoders.items():
                        tail = decoder.decode(b"", final=True)
                        if tail:
                            self._recorder.feed(name, tail, time.time())
                    recording = False
                    self._close_write_ends()
                    self._drained.set()
        finally:
            if not self._stop_requested:  # this thread failed: never leave output unread
                self._restore()
            self._close_write_ends()
            self._drained.set()
            with self._close_lock:
                self._closed = True
                for fd in (*self._saved.values(), self._wake_r, self._wake_w):
                    with contextlib.suppress(OSError):
                        os.close(fd)
