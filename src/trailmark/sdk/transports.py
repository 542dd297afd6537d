"""Where a sender ships spool records: the local store, a server, or memory (tests).

A transport raises :class:`TransientError` for what a retry may fix (server down, busy,
429/5xx) and :class:`PermanentError` for what never will (a malformed batch).
"""

from __future__ import annotations

import contextlib
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

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        from trailmark.client.http import HttpClient

        self._client = HttpClient(url, timeout=timeout)

    def deliver(self, header: dict[str, Any], lines: list[bytes]) -> None:
        from trailmark.client.http import HttpError

        body = b"\n".join([orjson.dumps(envelope_json(header)), *lines]) + b"\n"
        try:
            self._client.request_raw("POST", "/api/v1/ingest", body, "application/x-ndjson")
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


class WorkerTransport:
    """The local store, written by a child process (see :mod:`trailmark.sdk.worker`)."""

    def __init__(self, data_dir: Path, db_url: str | None = None) -> None:
        self._args = [str(data_dir), db_url or ""]
        self._process: subprocess.Popen[bytes] | None = None

    def _worker(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "trailmark.sdk.worker", *self._args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        return self._process

    def prepare(self) -> None:
        """Start the worker now, so its imports overlap with training instead of finish()."""
        with contextlib.suppress(OSError):
            self._worker()

    def deliver(self, header: dict[str, Any], lines: list[bytes]) -> None:
        from trailmark.sdk.worker import encode_frame

        try:
            worker = self._worker()
            assert worker.stdin is not None
            assert worker.stdout is not None
            worker.stdin.write(encode_frame(orjson.dumps(envelope_json(header)), lines))
            worker.stdin.flush()
            answer_line = worker.stdout.readline()
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
        process, self._process = self._process, None
        if process is None:
            return
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

    def close(self) -> None:
        self._stop()
