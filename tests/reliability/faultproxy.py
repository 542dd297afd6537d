"""A fault-injecting HTTP/1.1 proxy for tests, on 127.0.0.1, between a client and one server.

Requests are forwarded to the upstream server unless a fault says otherwise. Faults are
queued with :meth:`FaultProxy.plan` (each answers one request, in order) or installed as a
standing :meth:`FaultProxy.rule` (every request whose body contains a marker). Every
request is recorded in :attr:`FaultProxy.events` with its arrival time and what was done,
so a test can check how a client retried.

Example::

    with FaultProxy(server.url) as proxy:
        proxy.plan(Respond(503), Respond(429, retry_after=1.0))
        run = trailmark.init(url=proxy.url, ...)   # the first two batches get 503, then 429
"""

from __future__ import annotations

import http.client
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import orjson

ERROR_CODES = {400: "invalid_input", 429: "too_many_requests", 503: "unavailable"}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass(frozen=True)
class Respond:
    """Answer with ``status`` (and a Trailmark-style JSON error body) without forwarding."""

    status: int
    retry_after: float | None = None
    message: str = "injected by the fault proxy"
    code: str | None = None


@dataclass(frozen=True)
class Hang:
    """Read the request and never answer (until the proxy closes)."""


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering; the request never reaches the server."""


@dataclass(frozen=True)
class ForwardThenDrop:
    """Forward the request (so the server applies it), then lose the answer."""


@dataclass(frozen=True)
class Forward:
    """Pass the request to the server and its answer back (the default)."""


Fault = Respond | Hang | Drop | ForwardThenDrop | Forward


@dataclass(frozen=True)
class Event:
    """One request as the proxy saw it."""

    at: float
    method: str
    path: str
    action: str
    status: int | None
    body_bytes: int


@dataclass
class _Rule:
    marker: bytes
    fault: Fault


@dataclass
class _State:
    planned: deque[Fault] = field(default_factory=deque)
    rules: list[_Rule] = field(default_factory=list)
    default: Fault = field(default_factory=Forward)
    events: list[Event] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closing: threading.Event = field(default_factory=threading.Event)


class FaultProxy:
    """The proxy; use as a context manager. ``upstream`` may be None with a non-forwarding default."""

    def __init__(self, upstream: str | None, default: Fault | None = None) -> None:
        self._state = _State()
        if default is not None:
            self._state.default = default
        target = urllib.parse.urlsplit(upstream) if upstream else None
        state = self._state

        class Handler(_Handler):
            pass

        Handler.state = state
        Handler.upstream = (target.hostname or "127.0.0.1", target.port or 80) if target else None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def close(self) -> None:
        self._state.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def plan(self, *faults: Fault) -> None:
        """Queue faults; each answers the next request that no rule catches."""
        with self._state.lock:
            self._state.planned.extend(faults)

    def rule(self, marker: bytes, fault: Fault) -> None:
        """Answer every request whose body contains ``marker`` with ``fault``."""
        with self._state.lock:
            self._state.rules.append(_Rule(marker, fault))

    def set_default(self, fault: Fault) -> None:
        with self._state.lock:
            self._state.default = fault

    @property
    def events(self) -> list[Event]:
        with self._state.lock:
            return list(self._state.events)

    def pending(self) -> int:
        """How many planned faults have not been used yet."""
        with self._state.lock:
            return len(self._state.planned)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: _State
    upstream: tuple[str, int] | None
    _conn: http.client.HTTPConnection | None = None

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _choose(self, body: bytes) -> Fault:
        state = self.state
        with state.lock:
            for rule in state.rules:
                if rule.marker in body:
                    return rule.fault
            if state.planned:
                return state.planned.popleft()
            return state.default

    def _record(self, action: str, status: int | None, body: bytes) -> None:
        event = Event(time.monotonic(), self.command, self.path, action, status, len(body))
        with self.state.lock:
            self.state.events.append(event)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = self._choose(body)
        if isinstance(fault, Respond):
            self._record("respond", fault.status, body)
            self._respond(fault)
        elif isinstance(fault, Hang):
            self._record("hang", None, body)
            self.state.closing.wait(300)
            self.close_connection = True
        elif isinstance(fault, Drop):
            self._record("drop", None, body)
            self.close_connection = True
        else:
            try:
                status, headers, answer = self._forward(body)
            except OSError:
                self._record("upstream down", 502, body)
                self._respond(Respond(502, message="the upstream server is unreachable"))
                return
            if isinstance(fault, ForwardThenDrop):
                self._record("forward, then drop the answer", status, body)
                self.close_connection = True
                return
            self._record("forward", status, body)
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    def _respond(self, fault: Respond) -> None:
        code = fault.code or ERROR_CODES.get(fault.status, f"http_{fault.status}")
        body = orjson.dumps({"error": {"code": code, "message": fault.message}})
        self.send_response(fault.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if fault.retry_after is not None:
            self.send_header("Retry-After", f"{fault.retry_after:g}")
        self.end_headers()
        self.wfile.write(body)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        if self.upstream is None:
            raise ConnectionRefusedError("no upstream")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        while True:
            reused = self._conn is not None
            if self._conn is None:
                self._conn = http.client.HTTPConnection(*self.upstream, timeout=60)
            try:
                self._conn.request(self.command, self.path, body=body or None, headers=headers)
                response = self._conn.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.HTTPException, OSError):
                self._conn.close()
                self._conn = None
                if not reused:
                    raise
                # A kept-alive connection the server had closed (e.g. it was restarted).

    def finish(self) -> None:
        super().finish()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
