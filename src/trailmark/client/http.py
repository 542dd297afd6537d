"""A small keep-alive HTTP client on the standard library (no import cost for the SDK).

Errors come back as :class:`HttpError` with the status (0 when the server could not be
reached), the server's message and any ``Retry-After``; :meth:`HttpClient.request_json`
turns error bodies into the typed errors of :mod:`trailmark.errors`.
"""

from __future__ import annotations

import http.client
import socket
import threading
import urllib.parse
from typing import Any

import orjson

from trailmark.errors import TrailmarkError, Unavailable, error_from_body


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None):
        super().__init__(f"{status} {code}: {message}" if status else message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def to_trailmark(self) -> TrailmarkError:
        if self.status == 0:
            return Unavailable(self.message)
        return error_from_body(self.status, self.code, self.message)


class HttpClient:
    """One persistent connection per thread to a Trailmark server."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parsed = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"server URL must look like http://host:port, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port
        self._prefix = parsed.path
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            cls = (
                http.client.HTTPSConnection
                if self._scheme == "https"
                else http.client.HTTPConnection
            )
            conn = cls(self._host, self._port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def request_raw(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> bytes:
        """Send a request, return the body of a 2xx answer; raise :class:`HttpError` otherwise."""
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        for attempt in range(2):
            conn = self._connection()
            try:
                conn.request(method, self._prefix + path, body=body, headers=headers)
                if conn.sock is not None:
                    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self._drop_connection()
                if attempt == 0:
                    continue  # a kept-alive connection the server had closed
                raise HttpError(
                    0, "unavailable", f"lost the connection to {self.base_url}: {exc}"
                ) from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection()
                raise HttpError(0, "unavailable", f"cannot reach {self.base_url}: {exc}") from exc
            if response.getheader("Connection", "").lower() == "close":
                self._drop_connection()
            if 200 <= response.status < 300:
                return data
            raise _error_from_response(response.status, data, response.getheader("Retry-After"))
        raise AssertionError("unreachable")

    def request_json(self, method: str, path: str, payload: Any = None, **params: Any) -> Any:
        """JSON in, JSON out; errors raised as typed :class:`TrailmarkError`."""
        query = {k: v for k, v in params.items() if v is not None}
        if query:
            path = path + "?" + urllib.parse.urlencode(query, doseq=True)
        body = orjson.dumps(payload) if payload is not None else None
        try:
            data = self.request_raw(method, path, body)
        except HttpError as exc:
            raise exc.to_trailmark() from None
        return orjson.loads(data) if data else None

    def close(self) -> None:
        self._drop_connection()


def quote(segment: str) -> str:
    """A path segment, percent-encoded (project names may hold spaces and unicode)."""
    return urllib.parse.quote(segment, safe="")


def _error_from_response(status: int, data: bytes, retry_after: str | None) -> HttpError:
    code, message = "http_error", data[:500].decode("utf-8", "replace")
    try:
        body = orjson.loads(data)
        code = body["error"]["code"]
        message = body["error"]["message"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        pass
    delay = None
    if retry_after:
        try:
            delay = float(retry_after)
        except ValueError:
            delay = None
    return HttpError(status, code, message, delay)
