"""The sender's side of local ingest: :class:`WorkerTransport` and its two channels."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
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

    def _open(self) -> _Channel:
        if self._channel is not None:
            return self._channel
        hello = {"data_dir": str(self._data_dir.resolve()), "db_url": self._db_url or ""}
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
        with contextlib.suppress(OSError):
            self._open()

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

    def _stop(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            channel.close()

    def close(self) -> None:
        self._stop()
