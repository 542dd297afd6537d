"""The local ingest service: one long-lived process per user that applies spool batches.

Why: a training process that logs to a local data dir hands its spool batches to a process
that writes the store (see :mod:`.worker` for why not a thread). Starting that process means
importing SQLAlchemy and numpy, a few hundred milliseconds, which a short run would pay in
``finish()``. So the first run starts the service as soon as ``init()`` has chosen the
local store (in the background: ``init`` does not wait), and the service is then shared by
every run of the user (any data dir or database), so later runs find it warm; it exits
after :data:`IDLE_SECONDS` without a connection. A cold service would still cost the first
run its imports in ``finish()``: so ``finish()`` hands the rest of the spool over and
returns (:mod:`.adopt`). Nothing depends on it staying up: the spool is the durable copy, a
batch the service did not acknowledge is sent again, a spool it adopted and never stored is
shipped by ``trailmark sync``, and if the service cannot be reached the run starts its own
child worker instead.

Where: a Unix socket in a private (0700) runtime dir (see
:func:`trailmark.settings.runtime_dir`). The socket's name carries a stamp of the
interpreter and of every module of the installed ``trailmark`` package (which includes this
package and the store), so two virtual envs, two versions, or code edited since the service
started never share a service.

Protocol per connection: one JSON line, then

- ``{"data_dir": ..., "db_url": ...}``: the frames and answers of :mod:`.framing`;
- ``{"adopt": SPOOL, "data_dir": ..., "db_url": ...}``, sent with the spool's locked file
  descriptor: the service takes a finished run's spool over (see :mod:`.adopt`), answers at
  once, and ships the spool when the client closes the connection;
- ``{"wait": DATA_DIR, "timeout": SECONDS}``: answered once no adopted spool of that data
  dir is left to store (``{"ok": false, ...}`` when the time ran out).

Started as ``python -m trailmark.sdk.local_ingest.service SOCKET [--idle SECONDS]``: the
command detaches (a new session, stdio closed), binds the socket and answers connections at
once; the heavy imports happen on another thread, and only what needs the store waits for
them (an adoption is answered in milliseconds, however cold the service).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

IDLE_SECONDS = 120.0
"""A service with no connection for this long exits."""

MODULE = "trailmark.sdk.local_ingest.service"

_LAUNCH = "import runpy, sys; del sys.argv[1]; runpy.run_path({path!r}, run_name='__main__')"
"""How :func:`start` runs this file: as a script, not with ``-m``, which would import the
``trailmark`` package (the whole SDK, ~90 ms) before the service could bind its socket.
The module's name stays on the command line (``sys.argv[1]``, dropped here), where tools
find the service."""


def private_dir(path: Path) -> bool:
    """Create ``path`` as a 0700 dir; True only if it is ours and nobody else can enter."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700, parents=True)
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    )


def _modules(package: Path) -> list[str]:
    """``path:mtime:size`` of every module under ``package``, found on disk, sorted."""
    found: list[str] = []
    pending = [package]
    while pending:
        with contextlib.suppress(OSError), os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.name.endswith(".py"):
                    with contextlib.suppress(OSError):
                        info = entry.stat()
                        found.append(f"{entry.path}:{info.st_mtime_ns}:{info.st_size}")
                elif entry.name != "__pycache__" and entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
    return sorted(found)


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """A short hash of the interpreter, the version and every module of ``trailmark``.

    The whole package, not a list of the files the service uses: a list would go stale as
    soon as the store or this package gained a module (about 200 files: under 1 ms).
    """
    from trailmark._version import __version__

    root = Path(__file__).resolve().parents[2]
    parts = [sys.executable, __version__, str(root), *_modules(root)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def socket_path(directory: Path) -> Path:
    return directory / f"ingest-{code_stamp()}.sock"


def start(path: Path, idle: float = IDLE_SECONDS) -> subprocess.Popen[bytes]:
    """Start a service on ``path`` and return at once (without waiting for it to listen).

    The process returned exits as soon as the service has detached from it: reap it with
    ``wait()``. If a service already listens on ``path``, the new one steps aside.
    """
    # The service never multiplies matrices: without this, numpy's OpenBLAS starts a
    # thread per core while it is imported, on the path to the first batch.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            _LAUNCH.format(path=__file__),
            MODULE,
            str(path),
            "--idle",
            str(idle),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        env=env,
    )


def connect(path: Path, wait: float = 0.0) -> socket.socket | None:
    """A connection to the service at ``path``, retrying for ``wait`` seconds; else None."""
    deadline = time.monotonic() + wait
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(path))
            return sock
        except OSError:
            sock.close()
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.005)


# ---------------------------------------------------------------------------- the service


def _bind(path: Path) -> socket.socket | None:
    """The listening socket, or None when a live service already listens there."""
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        existing = connect(path)
        if existing is not None:
            existing.close()
            return None
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # a stale socket of a service that died
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        listener.listen(128)
        return listener


LOADING_SWITCH_INTERVAL = 0.0005

HELLO_LIMIT = 64 * 1024
"""The longest first line a client may send."""

ADOPT_PATIENCE = 600.0
"""How long the service keeps retrying an adopted spool the store refuses for now (locked,
full disk); then it lets the spool go, for ``trailmark sync`` or the next reader."""


class _Service:
    def __init__(self, listener: socket.socket, path: Path, idle: float) -> None:
        self.listener = listener
        self.path = path
        self.idle = idle
        self.active = 0
        self.last_seen = time.monotonic()
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.inode = os.stat(path).st_ino
        self.loaded = threading.Event()
        self.pending: dict[str, int] = {}
        """Adopted spools not yet stored, per data dir."""
        self.writers: dict[str, threading.Lock] = {}
        """One lock per spool writer: its frames and its adopted spool never apply at once."""

    def load(self) -> None:
        # While the imports hold the interpreter, hand it over to a waiting connection
        # every 0.5 ms instead of every 5: an adoption is answered in a few milliseconds.
        usual = sys.getswitchinterval()
        sys.setswitchinterval(LOADING_SWITCH_INTERVAL)
        try:
            _load_the_store()
        finally:
            sys.setswitchinterval(usual)
            self.loaded.set()

    def run(self) -> None:
        self.listener.settimeout(0.5)
        while True:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                with self.lock:
                    idle_for = time.monotonic() - self.last_seen
                    if self.active == 0 and idle_for >= self.idle:
                        break
                continue
            with self.lock:
                self.active += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()
        self._close()

    def _close(self) -> None:
        # Unlink only our own socket: a newer service may have replaced a file we lost.
        with contextlib.suppress(OSError):
            if os.stat(self.path).st_ino == self.inode:
                self.path.unlink()
        self.listener.close()

    def writer_lock(self, writer: object) -> threading.Lock:
        with self.lock:
            return self.writers.setdefault(str(writer), threading.Lock())

    def _serve(self, conn: socket.socket) -> None:
        import orjson

        fds: list[int] = []
        try:
            conn.settimeout(None)
            line, fds = _read_hello(conn)
            hello = orjson.loads(line or b"{}")
            if not isinstance(hello, dict):
                return
            if "adopt" in hello:
                adopted, fds = fds, []  # _adopt closes them, whatever happens
                self._adopt(conn, hello, adopted)
            elif "wait" in hello:
                self._wait(conn, hello)
            else:
                self._frames(conn, hello)
        except (OSError, ValueError):
            pass  # the client went away or spoke nonsense: its spool still has the data
        finally:
            for fd in fds:
                os.close(fd)
            conn.close()
            with self.lock:
                self.active -= 1
                self.last_seen = time.monotonic()

    def _frames(self, conn: socket.socket, hello: dict[str, Any]) -> None:
        data_dir, db_url = hello.get("data_dir"), hello.get("db_url") or None
        if not isinstance(data_dir, str) or not data_dir:
            return
        self.loaded.wait()
        from trailmark.sdk.local_ingest.worker import serve

        with conn.makefile("rb") as inp, conn.makefile("wb") as out:
            serve(Path(data_dir), db_url, _cast(inp), _cast(out), self.writer_lock)

    def _adopt(self, conn: socket.socket, hello: dict[str, Any], fds: list[int]) -> None:
        """Take a finished run's spool over: answer now, ship once the client lets go."""
        spool, data_dir, db_url = hello.get("adopt"), hello.get("data_dir"), hello.get("db_url")
        if len(fds) != 1 or not isinstance(spool, str) or not isinstance(data_dir, str):
            for fd in fds:
                os.close(fd)
            conn.sendall(b'{"ok":false,"permanent":true,"error":"a malformed adoption"}\n')
            return
        (lock_fd,) = fds
        with self.lock:
            self.pending[data_dir] = self.pending.get(data_dir, 0) + 1
        try:
            os.fsync(lock_fd)  # on disk before finish() returns: as durable as a stored run
            conn.sendall(b'{"ok":true}\n')
            # The client stops its own sender, then closes: from then on the spool is ours.
            conn.settimeout(60.0)
            with contextlib.suppress(OSError):
                while conn.recv(4096):
                    pass
            self.loaded.wait()
            # Imported only now: the imports under way hold the package's import lock.
            from trailmark.sdk.local_ingest.worker import ship_adopted

            ship_adopted(
                Path(spool),
                Path(data_dir),
                db_url or None,
                self.writer_lock,
                patience=ADOPT_PATIENCE,
            )
        finally:
            os.close(lock_fd)  # the spool's lock goes with it: sync may take over now
            with self.changed:
                self.pending[data_dir] -= 1
                if not self.pending[data_dir]:
                    del self.pending[data_dir]
                self.changed.notify_all()

    def _wait(self, conn: socket.socket, hello: dict[str, Any]) -> None:
        """Answer once no adopted spool of the data dir is left to store."""
        data_dir, timeout = hello.get("wait"), hello.get("timeout")
        limit = float(timeout) if isinstance(timeout, int | float) else 60.0
        with self.changed:
            idle = self.changed.wait_for(lambda: not self.pending.get(str(data_dir)), limit)
        if idle:
            conn.sendall(b'{"ok":true}\n')
        else:
            conn.sendall(b'{"ok":false,"permanent":false,"error":"still storing"}\n')


def _read_hello(conn: socket.socket) -> tuple[bytes, list[int]]:
    """The first line of a connection, with the file descriptors sent along with it."""
    while True:
        peeked = conn.recv(HELLO_LIMIT, socket.MSG_PEEK)
        if not peeked:
            return b"", []
        end = peeked.find(b"\n")
        if end >= 0:
            break
        if len(peeked) >= HELLO_LIMIT:
            raise ValueError("no line")
        time.sleep(0.001)  # the rest of the line is on its way
    line, fds, _flags, _addr = socket.recv_fds(conn, end + 1, 4)
    return line, fds


def _cast(stream: object) -> BinaryIO:
    return stream  # type: ignore[return-value]


def _detach() -> None:
    """Leave the starting process: fork, new session, stdio to /dev/null."""
    if os.fork():
        os._exit(0)
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _load_the_store() -> None:
    """Import what applying a batch needs, then keep it out of the collector's sight."""
    import gc

    # Importing creates some 100,000 long-lived objects: the collector would walk them
    # again and again while they are being made, on the path to the first batch's answer.
    gc.disable()
    try:
        from trailmark.collector import freeze_startup_objects
        from trailmark.sdk.local_ingest import worker  # noqa: F401
        from trailmark.store.store import Store  # noqa: F401

        freeze_startup_objects()
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}")
    parser.add_argument("socket", type=Path)
    parser.add_argument("--idle", type=float, default=IDLE_SECONDS)
    parser.add_argument("--foreground", action="store_true", help="do not detach (tests)")
    args = parser.parse_args(argv)
    if not args.foreground:
        _detach()
    listener = _bind(args.socket)
    if listener is None:
        return
    service = _Service(listener, args.socket, args.idle)
    # The heavy imports happen meanwhile, while clients are already answered.
    threading.Thread(target=service.load, name="load-the-store", daemon=True).start()
    service.run()


if __name__ == "__main__":
    main()
