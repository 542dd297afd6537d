"""The sender's side of local ingest: :class:`WorkerTransport` and its two channels."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import orjson

from trailmark.sdk.local_ingest import service
from trailmark.sdk.local_ingest.framing import batch_frame, raise_for_answer
from trailmark.sdk.transports import TransientError


class _Channel(Protocol):
    def send(self, data: bytes) -> None: ...
    def readline(self) -> bytes: ...
    def close(self) -> None: ...


class _ChildChannel:
    """A worker child process of our own, over its stdin and stdout."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "trailmark.sdk.local_ingest.worker", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        if self.process.poll() is not None:
            raise OSError("the worker exited")
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def readline(self) -> bytes:
        assert self.process.stdout is not None
        return self.process.stdout.readline()

    def close(self) -> None:
        process = self.process
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


class _ServiceChannel:
    """A connection to the user's shared ingest service (:mod:`.service`)."""

    def __init__(self, sock: socket.socket, hello: dict[str, Any]) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb")
        sock.sendall(orjson.dumps(hello) + b"\n")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def readline(self) -> bytes:
        return self.reader.readline()

    def interrupt(self) -> None:
        """End the connection now: a sender waiting for an answer gets none."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.reader.close()
            self.sock.close()


class WorkerTransport:
    """The local store, written by the shared ingest service or else a child worker process.

    ``service_dir``: the runtime dir of the ingest service (None: always a child worker).
    """

    def __init__(
        self, data_dir: Path, db_url: str | None = None, service_dir: Path | None = None
    ) -> None:
        self._data_dir = data_dir
        self._db_url = db_url
        self._service_dir = service_dir
        self._channel: _Channel | None = None
        self.via_service = False
        self._opened = threading.Event()
        """Set once the first channel is chosen (or could not be opened)."""
        self._handed_off = False

    def _hello(self) -> dict[str, Any]:
        return {"data_dir": str(self._data_dir.resolve()), "db_url": self._db_url or ""}

    def _open(self) -> _Channel:
        if self._channel is not None:
            return self._channel
        if self._handed_off:
            raise OSError("the spool was handed to the ingest service")
        hello = self._hello()
        sock = self._service_socket()
        if sock is not None:
            try:
                self._channel = _ServiceChannel(sock, hello)
                self.via_service = True
                return self._channel
            except OSError:
                sock.close()
        self._channel = _ChildChannel([hello["data_dir"], hello["db_url"]])
        self.via_service = False
        return self._channel

    def _service_socket(self) -> socket.socket | None:
        """A connection to the service, starting one if none listens; None if it cannot."""
        if self._service_dir is None:
            return None
        try:
            if not service.private_dir(self._service_dir):
                return None
            path = service.socket_path(self._service_dir)
            sock = service.connect(path)
            if sock is None:
                starting = service.start(path)
                sock = service.connect(path, wait=3.0)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    starting.wait(5)  # it exits once the service has detached from it
            return sock
        except (OSError, subprocess.SubprocessError):
            return None

    def prepare(self) -> None:
        """Connect now (starting the service or a worker), so start-up overlaps training.

        The sender calls this first thing on its thread, which ``init()`` starts: the
        service starts while the script goes on, and ``init`` never waits for it.
        """
        try:
            with contextlib.suppress(OSError):
                self._open()
        finally:
            self._opened.set()

    def deliver(self, header: dict[str, Any], lines: list[bytes]) -> None:
        try:
            channel = self._open()
            channel.send(batch_frame(header, lines))
            answer_line = channel.readline()
        except OSError as exc:
            self._stop()
            raise TransientError(f"the local ingest worker failed: {exc}") from exc
        if not answer_line:
            self._stop()
        raise_for_answer(answer_line)

    def hand_off(self, spool: Path, lock_fd: int, stop_sender: Callable[[], None]) -> bool:
        """Give a finished run's spool to the service, which stores what is left of it
        (:mod:`.adopt`); False when the run talks to a worker of its own, or the service
        does not take it: the caller ships it itself then.

        ``lock_fd`` holds the spool's lock (the service keeps it); ``stop_sender`` stops
        the sender thread at once, without draining.
        """
        from trailmark.sdk.local_ingest.adopt import HAND_OFF_WAIT, request_adoption

        if self._service_dir is None or not self._opened.wait(HAND_OFF_WAIT):
            return False
        if not self.via_service:
            return False
        path = service.socket_path(self._service_dir)
        control = request_adoption(path, spool, lock_fd, self._hello())
        if control is None:
            return False
        try:
            # The batch in flight may never be answered (a cold service is still loading):
            # end it, so the sender stops now; the service ships it again (stored once).
            self._handed_off = True
            channel = self._channel
            if isinstance(channel, _ServiceChannel):
                channel.interrupt()
            stop_sender()
            self._stop()
        finally:
            control.close()  # from now on the service ships the spool
        return True

    def _stop(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            channel.close()

    def close(self) -> None:
        self._stop()
