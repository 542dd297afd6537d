"""The one HTTP client of the SDK and the importer, on the standard library's ``http.client``.

``request`` sends JSON or bytes and reads the whole answer; ``stream`` sends a file (or a
slice of one) and/or copies the answer into a writable, piece by piece. Both share the
connections (kept alive, shared by threads), the retry policy, the timeout, the base path
of the URL, the error mapping and the credentials.
"""

from __future__ import annotations

import http.client
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import orjson

from trailmark.client.bodies import BLOCK, FileSlice, Readable, Writable
from trailmark.client.errors import (
    CUT_SHORT,
    TIMED_OUT,
    UNREACHABLE,
    ErrorMapper,
    HttpError,
    error_from_response,
    trailmark_error,
)
from trailmark.client.pool import Lease, Pool
from trailmark.client.retry import IDEMPOTENT_METHODS, Retry

if TYPE_CHECKING:
    import ssl

Auth = Callable[[], Mapping[str, str]]
"""Headers that carry credentials (``{"Authorization": "Bearer ..."}``), asked for before
every try of every request, so a token may be refreshed between them."""

_LOST = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
"""How a request on a connection the server had already closed fails (no answer at all;
``http.client.RemoteDisconnected`` is a ``ConnectionResetError``)."""


@dataclass(frozen=True)
class Response:
    """A 2xx answer: ``content`` is its body, empty when ``stream`` copied ``size`` bytes out."""

    status: int
    headers: http.client.HTTPMessage
    content: bytes
    size: int

    def json(self) -> Any:
        """The body decoded as JSON (None when empty)."""
        return orjson.loads(self.content) if self.content else None


class Client:
    """Requests to one server (``base_url``, which may carry a base path), shared by threads.

    ``retry``: the policy for idempotent requests (``NO_RETRY`` for a caller with its own
    loop). ``auth``: the one place credentials are attached. ``errors``: what callers catch
    (Trailmark's typed errors unless told otherwise). A request sent on a kept-alive
    connection that the server had closed meanwhile is sent once more on a new connection,
    whatever the policy: that is reconnecting, not retrying.

    Example::

        client = Client("https://tracker.example.com/tm", timeout=10.0)
        projects = client.request("GET", "/api/v1/projects", params={"search": "vit"}).json()
        with open("weights.bin", "wb") as f:
            client.stream("GET", "/api/v1/.../files/weights.bin", into=f)
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        retry: Retry | None = None,
        auth: Auth | None = None,
        errors: ErrorMapper = trailmark_error,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"server URL must look like http://host:port, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.retry = retry if retry is not None else Retry()
        self.auth = auth
        self._errors = errors
        self._prefix = parsed.path
        self._pool = Pool(parsed.scheme, parsed.hostname, parsed.port, timeout, ssl_context)

    @property
    def timeout(self) -> float:
        return self._pool.timeout

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Response:
        """Send ``json`` (encoded) or ``content``; the 2xx answer, read whole.

        ``params`` with a None value are left out. ``idempotent`` marks a POST that may be
        retried (by default only GET, HEAD, OPTIONS, PUT and DELETE are).
        """
        body = orjson.dumps(json) if json is not None else content
        sent = {"Content-Type": content_type, "Accept": "application/json", **(headers or {})}
        return self._send(method, path, params, body, sent, idempotent, replayable=True)

    def request_json(self, method: str, path: str, payload: Any = None, **params: Any) -> Any:
        """JSON in, JSON out: ``request(method, path, json=payload, params=params).json()``."""
        return self.request(method, path, json=payload, params=params).json()

    def stream(
        self,
        method: str,
        path: str,
        *,
        upload: Readable | bytes | None = None,
        length: int | None = None,
        into: Writable | None = None,
        on_read: Callable[[int], None] | None = None,
        params: Mapping[str, Any] | None = None,
        content_type: str = "application/octet-stream",
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Response:
        """Send ``upload`` piece by piece and/or copy the answer's body into ``into``.

        ``length``: the size of an upload that is neither bytes nor a :class:`FileSlice`.
        Without ``into`` the (small, JSON) answer is read whole. A download is checked
        against its ``Content-Length``: one cut short raises (``Unavailable`` by default).
        An upload read from a file is never sent twice (its reads have been counted and
        the file has moved on): its caller resumes it; a download is retried by the policy
        until its first byte reached ``into``.
        """
        sent = {"Accept": "application/json" if into is None else "*/*", **(headers or {})}
        if upload is not None:
            if isinstance(upload, bytes):
                length = len(upload)
            elif isinstance(upload, FileSlice) and length is None:
                length = upload.length
            if length is None:
                raise ValueError("an upload read piece by piece needs its length")
            sent.update({"Content-Type": content_type, "Content-Length": str(length)})
        return self._send(
            method,
            path,
            params,
            upload,
            sent,
            idempotent,
            replayable=upload is None or isinstance(upload, bytes),
            into=into,
            on_read=on_read,
        )

    def close(self) -> None:
        """Close the kept-alive connections (a later request opens a new one)."""
        self._pool.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _target(self, path: str, params: Mapping[str, Any] | None) -> str:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if not query:
            return self._prefix + path
        joiner = "&" if "?" in path else "?"
        return self._prefix + path + joiner + urllib.parse.urlencode(query, doseq=True)

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Readable | bytes | None,
        headers: dict[str, str],
        idempotent: bool | None,
        *,
        replayable: bool,
        into: Writable | None = None,
        on_read: Callable[[int], None] | None = None,
    ) -> Response:
        target = self._target(path, params)
        retried = replayable and (
            idempotent if idempotent is not None else method.upper() in IDEMPOTENT_METHODS
        )
        failures = 0
        while True:
            sent = {**headers, **self.auth()} if self.auth is not None else headers
            try:
                return self._exchange(method, target, body, sent, replayable, into, on_read)
            except HttpError as error:
                failures += 1
                delay = self.retry.wait(failures, error) if retried else None
                if delay is None:
                    mapped = self._errors(error)
                    if mapped is error:
                        raise
                    raise mapped from error.__cause__
                time.sleep(delay)

    def _exchange(
        self,
        method: str,
        target: str,
        body: Readable | bytes | None,
        headers: Mapping[str, str],
        replayable: bool,
        into: Writable | None,
        on_read: Callable[[int], None] | None,
    ) -> Response:
        """One try: send, read the answer; raise :class:`HttpError` for anything but 2xx."""
        for fresh in (False, True):
            lease = self._pool.borrow(fresh=fresh)
            try:
                lease.connection.request(method, target, body=body, headers=dict(headers))
                response = lease.connection.getresponse()
            except TimeoutError as exc:
                self._pool.discard(lease)
                raise HttpError(
                    0, TIMED_OUT, f"{self.base_url} did not answer within {self.timeout:g} s"
                ) from exc
            except _LOST as exc:
                self._pool.discard(lease)
                if lease.reused and replayable:
                    continue
                raise HttpError(
                    0, UNREACHABLE, f"lost the connection to {self.base_url}: {exc}"
                ) from exc
            except (OSError, http.client.HTTPException) as exc:
                self._pool.discard(lease)
                raise HttpError(0, UNREACHABLE, f"cannot reach {self.base_url}: {exc}") from exc
            except BaseException:  # an upload's file failed, an interrupt: the state is unknown
                self._pool.discard(lease)
                raise
            return self._answer(lease, response, target, into, on_read)
        raise AssertionError("unreachable: the second try uses a new connection")

    def _answer(
        self,
        lease: Lease,
        response: http.client.HTTPResponse,
        target: str,
        into: Writable | None,
        on_read: Callable[[int], None] | None,
    ) -> Response:
        done = False
        try:
            ok = 200 <= response.status < 300
            if ok and into is not None:
                size = self._copy(response, target, into, on_read)
                content = b""
            else:
                content = self._read_whole(response)
                size = len(content)
            done = True
        finally:
            if done and not response.will_close:
                self._pool.give_back(lease)
            else:
                self._pool.discard(lease)
        if not ok:
            raise error_from_response(response.status, content, response.getheader("Retry-After"))
        return Response(response.status, response.headers, content, size)

    def _read_whole(self, response: http.client.HTTPResponse) -> bytes:
        try:
            return response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise HttpError(
                0, UNREACHABLE, f"lost the connection to {self.base_url}: {exc}"
            ) from exc

    def _copy(
        self,
        response: http.client.HTTPResponse,
        target: str,
        into: Writable,
        on_read: Callable[[int], None] | None,
    ) -> int:
        expected = response.getheader("Content-Length")
        seen = 0
        while True:
            try:
                block = response.read(BLOCK)
            except (OSError, http.client.HTTPException) as exc:
                raise HttpError(
                    0,
                    CUT_SHORT if seen else UNREACHABLE,
                    f"the download of {target} was cut short after {seen} bytes ({exc}); the "
                    "server may have found its copy damaged (see its log), or the network "
                    "failed. Retry.",
                ) from exc
            if not block:
                break
            into.write(block)
            seen += len(block)
            if on_read is not None:
                on_read(len(block))
        if expected is not None and expected.isdigit() and seen != int(expected):
            raise HttpError(
                0, CUT_SHORT, f"the download of {target} ended after {seen} of {expected} bytes"
            )
        return seen


def quote(segment: str) -> str:
    """A path segment, percent-encoded (project names may hold spaces and unicode)."""
    return urllib.parse.quote(segment, safe="")
