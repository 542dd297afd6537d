"""Where a sender ships spool records: the local store, a server, or memory (tests).

A transport raises :class:`TransientError` for what a retry may fix (server down, busy,
429/5xx) and :class:`PermanentError` for what never will (a malformed batch).
"""

from __future__ import annotations

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
