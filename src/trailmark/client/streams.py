"""Streaming requests for file contents: bodies go out and come in piece by piece.

:class:`~trailmark.client.http.HttpClient` reads whole answers, which is right for JSON;
a multi-GB file must never be in memory, so uploads send a :class:`FileSlice` (read in
1 MiB blocks by ``http.client``) and downloads copy the answer into a file object.
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any, BinaryIO, Protocol

import orjson

from trailmark.client.http import HttpError, _error_from_response
from trailmark.errors import TrailmarkError, Unavailable

BLOCK = 1024 * 1024


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


class FileSlice:
    """``length`` bytes of ``source`` from ``offset``, read on demand (an upload body)."""

    def __init__(
        self,
        source: BinaryIO,
        offset: int,
        length: int,
        on_read: Callable[[int], None] | None = None,
    ) -> None:
        self._source = source
        self._left = length
        self._on_read = on_read
        source.seek(offset)

    def read(self, size: int = -1) -> bytes:
        want = self._left if size < 0 else min(size, self._left)
        data = self._source.read(want) if want > 0 else b""
        self._left -= len(data)
        if self._on_read is not None and data:
            self._on_read(len(data))
        return data


class StreamClient:
    """One keep-alive connection per thread; errors raised as typed :class:`TrailmarkError`."""

    def __init__(self, base_url: str, timeout: float = 120.0) -> None:
        parsed = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"server URL must look like http://host:port, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._https = parsed.scheme == "https"
        self._host = parsed.hostname
        self._port = parsed.port
        self._prefix = parsed.path
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._https:
                conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self.timeout, blocksize=BLOCK
                )
            else:
                conn = http.client.HTTPConnection(
                    self._host, self._port, timeout=self.timeout, blocksize=BLOCK
                )
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _send(
        self, method: str, path: str, body: Any, headers: dict[str, str]
    ) -> http.client.HTTPResponse:
        conn = self._connection()
        try:
            conn.request(method, self._prefix + path, body=body, headers=headers)
            return conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            self._drop()
            raise Unavailable(f"lost the connection to {self.base_url}: {exc}") from exc

    def _fail(self, response: http.client.HTTPResponse) -> TrailmarkError:
        data = response.read()
        if response.getheader("Connection", "").lower() == "close":
            self._drop()
        error: HttpError = _error_from_response(
            response.status, data, response.getheader("Retry-After")
        )
        return error.to_trailmark()

    def put(
        self,
        path: str,
        body: FileSlice | bytes,
        length: int,
        content_type: str = "application/octet-stream",
    ) -> Any:
        """Send ``length`` bytes; return the decoded JSON answer."""
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(length),
            "Accept": "application/json",
        }
        response = self._send("PUT", path, body, headers)
        if not 200 <= response.status < 300:
            raise self._fail(response)
        try:
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._drop()
            raise Unavailable(f"lost the connection to {self.base_url}: {exc}") from exc
        return orjson.loads(data) if data else None

    def get_into(
        self, path: str, sink: Writable, on_read: Callable[[int], None] | None = None
    ) -> int:
        """Copy the body of a GET into ``sink``; refuse an answer cut short. Returns its size."""
        response = self._send("GET", path, None, {"Accept": "*/*"})
        if not 200 <= response.status < 300:
            raise self._fail(response)
        expected = response.getheader("Content-Length")
        seen = 0
        try:
            while block := response.read(BLOCK):
                sink.write(block)
                seen += len(block)
                if on_read is not None:
                    on_read(len(block))
        except (OSError, http.client.HTTPException) as exc:
            self._drop()
            raise Unavailable(
                f"the download of {path} was cut short after {seen} bytes ({exc}); the server "
                "may have found its copy damaged (see its log), or the network failed. Retry."
            ) from exc
        if expected is not None and expected.isdigit() and seen != int(expected):
            self._drop()
            raise Unavailable(f"the download of {path} ended after {seen} of {expected} bytes")
        return seen

    def close(self) -> None:
        self._drop()
