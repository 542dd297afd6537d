"""Where a sender ships spool records: the local store, a server, or memory (tests).

A transport raises :class:`TransientError` for what a retry may fix (server down, busy,
429/5xx) and :class:`PermanentError` for what never will (a malformed batch). A run that
logs to a data dir uses :class:`~trailmark.sdk.local_ingest.transport.WorkerTransport`,
which hands batches to a process running :class:`LocalTransport` (this module imports
nothing from :mod:`trailmark.sdk.local_ingest`, which imports this one).
"""

from __future__ import annotations

import contextlib
import threading
import warnings
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

    def open(self) -> None:
        """Open (and migrate) the store now, not at the first batch: a worker does this
        while the run's first records are still being logged. A failure is left for
        :meth:`deliver` to report."""
        from sqlalchemy.exc import OperationalError

        from trailmark.store.store import Store

        if self._store is None:
            with contextlib.suppress(TrailmarkError, OperationalError, OSError):
                self._store = Store.open(self._db_url, self._data_dir)

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

    def __init__(self, url: str, timeout: float = 30.0, api_key: str | None = None) -> None:
        # Imported here, when a run is wired to a server, never by `import trailmark`.
        from trailmark.client import NO_RETRY, Client, keep_http_error
        from trailmark.credentials import auth_for

        # No retries in the client: the sender has its own backoff loop (honouring
        # Retry-After, bounded by finish(timeout)); retrying here too would multiply waits.
        # keep_http_error: deliver() classifies by status and Retry-After itself.
        self._client = Client(
            url,
            timeout=timeout,
            retry=NO_RETRY,
            errors=keep_http_error,
            auth=auth_for(url, api_key),
        )
        self._url = url
        self._told_refused = False

    def deliver(self, header: dict[str, Any], lines: list[bytes]) -> None:
        from trailmark.client import HttpError

        body = b"\n".join([orjson.dumps(envelope_json(header)), *lines]) + b"\n"
        try:
            self._client.request(
                "POST", "/api/v1/ingest", content=body, content_type="application/x-ndjson"
            )
        except HttpError as exc:
            if exc.status in (401, 403, 404):
                raise TransientError(self._refused(exc, exc.status)) from exc
            if exc.status in (408, 429) or exc.status >= 500 or exc.status == 0:
                raise TransientError(str(exc), exc.retry_after) from exc
            raise PermanentError(str(exc)) from exc

    def _refused(self, exc: Exception, status: int) -> str:
        """A server that refuses the caller's credentials (401) or role (403), or hides the
        project from them (404: another team's private project; ingest has no other 404):
        the records are not bad, so they stay in the spool (retried, and shipped later by
        ``trailmark sync``) instead of being set aside; said once per run, not at every
        retry."""
        if status == 401:
            fix = (
                f"sign in with `trailmark login {self._url}` (or set TRAILMARK_API_KEY to an "
                "API key)"
            )
        else:
            fix = "use a key that may write, or ask an admin of the project for the editor role"
        message = (
            f"{self._url} refused the run's records ({exc}); {fix}. Nothing is lost: they "
            "stay in the spool, and `trailmark sync` ships them once the server accepts them"
        )
        if not self._told_refused:
            self._told_refused = True
            warnings.warn(f"trailmark: {message}", stacklevel=1)
        return message

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
