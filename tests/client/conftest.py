"""Servers for the client's tests: the real app under uvicorn, and a scripted one for faults."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn

from tests.ports import free_port
from tests.support import wait_for
from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings


@dataclass(frozen=True)
class Answer:
    """Answer with ``status``, ``headers`` and ``body``; ``close``: then close the connection
    without saying so (as a server does to a connection it has kept idle too long)."""

    status: int = 200
    body: bytes = b'{"ok": true}'
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    close: bool = False
    declared_length: int | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class Drop:
    """Read the request, then close the connection without answering."""


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    peer: tuple[str, int]
    at: float


@dataclass
class Script:
    planned: deque[Answer | Drop] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class ScriptedServer:
    """Answers each request with the next planned action (``Answer()`` when none is left)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        script = self.script = Script()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, the client's delayed
                # ACK holds the body back 40 ms (Nagle), on every request.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def do_PUT(self) -> None:
                self._handle()

            def do_DELETE(self) -> None:
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with script.lock:
                    script.seen.append(
                        Seen(
                            self.command,
                            self.path,
                            dict(self.headers.items()),
                            body,
                            self.client_address,
                            time.monotonic(),
                        )
                    )
                    action = script.planned.popleft() if script.planned else Answer()
                if isinstance(action, Drop):
                    self.close_connection = True
                    return
                time.sleep(action.delay)
                self.send_response(action.status)
                for name, value in action.headers:
                    self.send_header(name, value)
                declared = action.declared_length
                self.send_header(
                    "Content-Length", str(len(action.body) if declared is None else declared)
                )
                self.end_headers()
                try:
                    self.wfile.write(action.body)
                    self.wfile.flush()
                except OSError:  # the client gave up waiting (a timeout test)
                    self.close_connection = True
                    return
                if action.close or declared is not None:
                    self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def plan(self, *actions: Answer | Drop) -> None:
        with self.script.lock:
            self.script.planned.extend(actions)

    @property
    def seen(self) -> list[Seen]:
        with self.script.lock:
            return list(self.script.seen)

    def connections(self) -> int:
        """How many connections the requests seen came on."""
        return len({s.peer for s in self.seen})

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app under uvicorn, in a thread of this process (one per test module)."""
    data_dir: Path = tmp_path_factory.mktemp("client") / "server"
    port = free_port()
    config = uvicorn.Config(
        create_app(ServerSettings(data_dir=data_dir)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive(), 30, "uvicorn", interval=0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
