"""Kept-alive connections to one server, shared by the threads of one client."""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trailmark.client.bodies import BLOCK

if TYPE_CHECKING:
    import ssl


@dataclass
class Lease:
    """A connection lent to one request; ``reused``: it had carried an earlier request."""

    connection: http.client.HTTPConnection
    reused: bool
    generation: int


class Pool:
    """Idle connections, most recently used first; a thread borrows one per request.

    A connection idle for ``idle_timeout`` seconds is not reused: servers close idle
    connections after a few seconds (uvicorn: 5), and a request sent on one the server is
    closing fails without an answer.
    """

    def __init__(
        self,
        scheme: str,
        host: str,
        port: int | None,
        timeout: float,
        ssl_context: ssl.SSLContext | None = None,
        max_idle: int = 8,
        idle_timeout: float = 4.0,
    ) -> None:
        self._scheme = scheme
        self._host = host
        self._port = port
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._max_idle = max_idle
        self._idle_timeout = idle_timeout
        self._idle: list[tuple[http.client.HTTPConnection, float]] = []
        self._generation = 0
        self._lock = threading.Lock()

    def _new(self) -> http.client.HTTPConnection:
        # blocksize: how much of a file body http.client reads per send (default 8 KiB).
        if self._scheme == "https":
            return http.client.HTTPSConnection(
                self._host,
                self._port,
                timeout=self.timeout,
                context=self._ssl_context,
                blocksize=BLOCK,
            )
        return http.client.HTTPConnection(
            self._host, self._port, timeout=self.timeout, blocksize=BLOCK
        )

    def borrow(self, fresh: bool = False) -> Lease:
        """An idle connection (unless ``fresh``), else a new one (it connects on first use)."""
        stale: list[http.client.HTTPConnection] = []
        found: http.client.HTTPConnection | None = None
        with self._lock:
            generation = self._generation
            oldest = time.monotonic() - self._idle_timeout
            while not fresh and self._idle:
                connection, since = self._idle.pop()
                if since >= oldest and connection.sock is not None:
                    found = connection
                    break
                stale.append(connection)
        for connection in stale:
            connection.close()
        if found is not None:
            return Lease(found, True, generation)
        return Lease(self._new(), False, generation)

    def give_back(self, lease: Lease) -> None:
        """The answer was read to its end and the connection stays open: keep it for reuse."""
        connection = lease.connection
        with self._lock:
            if (
                lease.generation == self._generation
                and connection.sock is not None
                and len(self._idle) < self._max_idle
            ):
                self._idle.append((connection, time.monotonic()))
                return
        connection.close()

    def discard(self, lease: Lease) -> None:
        lease.connection.close()

    def close(self) -> None:
        """Close the idle connections; those lent now are closed when given back."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._generation += 1
        for connection, _ in idle:
            connection.close()
