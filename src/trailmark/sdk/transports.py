"""Where a sender ships spool records: the local store, a server, or memory (tests).

A transport raises :class:`TransientError` for what a retry may fix (server down, busy,
429/5xx) and :class:`PermanentError` for what never will (a malformed batch).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Protocol

import orjson

from trailmark.errors import InvalidInput, NotFound, PayloadTooLarge, TrailmarkError


class TransientError(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    pass


class Transport(Protocol):
    def deliver(self, header: dict[str, Any], lines: list[bytes]) -> None:
        """Deliver records (encoded JSON lines) of the writer named in ``header``."""

    def close(self) -> None: ...


def envelope_json(header: dict[str, Any]) -> dict[str, Any]:
    return {k: header.get(k) for k in ("run", "project", "writer", "rank", "host")}


class LocalTransport:
    """Straight into the store in a data dir (or a database URL), without HTTP."""

    def __init__(self, data_dir: Path, db_url: str | None = None) -> None:
        self._data_dir = data_dir
        self._db_url = db_url
        self._store: Any = None

    def deliver(self, header: dict[str, Any], lines: list[bytes]) -> None:
        # Heavy imports happen here, on the sender thread, never in init() or log().
        from sqlalchemy.exc import OperationalError

        from trailmark.store.ingest import Envelope
        from trailmark.store.store import Store

        try:
            if self._store is None:
                self._store = Store.open(self._db_url, self._data_dir)
            records = [orjson.loads(line) for line in lines]
            self._store.ingestor.ingest(Envelope.from_json(envelope_json(header)), records)
        except (InvalidInput, NotFound, PayloadTooLarge, orjson.JSONDecodeError) as exc:
            raise PermanentError(str(exc)) from exc
        except (TrailmarkError, OperationalError, OSError) as exc:
            raise TransientError(str(exc)) from exc

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


class HttpTransport:
    """POSTs batches to ``/api/v1/ingest`` as NDJSON: the envelope line, then the records."""

    ship_interval = 0.15
    """A writer that keeps up sends at most about seven requests a second (a backlog goes
    at once). Shorter would cost the server a request's overhead for a few points; longer
    leaves more unsent when ``finish()`` comes, and when the ranks of a job finish together
    their last batches all reach the server in the same instant (measured with 64 processes
    on 2 cores: p99 over 0.5 s at a 0.5 s interval, about 0.15-0.25 s at 0.15 s)."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        # Imported here, when a run is wired to a server, never by `import trailmark`.
        from trailmark.client import NO_RETRY, Client, keep_http_error

        # No retries in the client: the sender has its own backoff loop (honouring
        # Retry-After, bounded by finish(timeout)); retrying here too would multiply waits.
        # keep_http_error: deliver() classifies by status and Retry-After itself.
        self._client = Client(url, timeout=timeout, retry=NO_RETRY, errors=keep_http_error)

    def deliver(self, header: dict[str, Any], lines: list[bytes]) -> None:
        from trailmark.client import HttpError

        body = b"\n".join([orjson.dumps(envelope_json(header)), *lines]) + b"\n"
        try:
            self._client.request(
                "POST", "/api/v1/ingest", content=body, content_type="application/x-ndjson"
            )
        except HttpError as exc:
            if exc.status in (408, 429) or exc.status >= 500 or exc.status == 0:
                raise TransientError(str(exc), exc.retry_after) from exc
            raise PermanentError(str(exc)) from exc

    def close(self) -> None:
        self._client.close()


class MemoryTransport:
    """Keeps decoded records in memory, for tests."""

    def __init__(self) -> None:
        self.batches: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        self._lock = threading.Lock()

    def deliver(self, header: dict[str, Any], lines: list[bytes]) -> None:
        with self._lock:
            self.batches.append((envelope_json(header), [orjson.loads(x) for x in lines]))

    @property
    def records(self) -> list[dict[str, Any]]:
        return [r for _, batch in self.batches for r in batch]

    def close(self) -> None:
        pass


class _Channel(Protocol):
    def send(self, data: bytes) -> None: ...
    def readline(self) -> bytes: ...
    def close(self) -> None: ...


class _ChildChannel:
    """A worker child process of our own, over its stdin and stdout."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "trailmark.sdk.worker", *args],
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
    """A connection to the user's shared ingest service (:mod:`trailmark.sdk.ingest_service`)."""

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
        if self._service_dir is None:
            return None
        from trailmark.sdk import ingest_service

        try:
            if not ingest_service.private_dir(self._service_dir):
                return None
            path = ingest_service.socket_path(self._service_dir)
            sock = ingest_service.connect(path)
            if sock is None:
                ingest_service.start(path)
                sock = ingest_service.connect(path, wait=3.0)
            return sock
        except (OSError, subprocess.SubprocessError):
            return None

    def prepare(self) -> None:
        """Connect now (starting the service or a worker), so start-up overlaps training."""
        with contextlib.suppress(OSError):
            self._open()

    def deliver(self, header: dict[str, Any], lines: list[bytes]) -> None:
        from trailmark.sdk.worker import encode_frame

        try:
            channel = self._open()
            channel.send(encode_frame(orjson.dumps(envelope_json(header)), lines))
            answer_line = channel.readline()
        except OSError as exc:
            self._stop()
            raise TransientError(f"the local ingest worker failed: {exc}") from exc
        if not answer_line:
            self._stop()
            raise TransientError("the local ingest worker exited; it will be restarted")
        answer = orjson.loads(answer_line)
        if answer.get("ok"):
            return
        if answer.get("permanent"):
            raise PermanentError(answer.get("error", "refused"))
        raise TransientError(answer.get("error", "failed"))

    def _stop(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            channel.close()

    def close(self) -> None:
        self._stop()
