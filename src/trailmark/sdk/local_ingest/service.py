"""The local ingest service: one long-lived process per user that applies spool batches.

Why: a training process that logs to a local data dir hands its spool batches to a process
that writes the store (see :mod:`.worker` for why not a thread). Starting that process means
importing SQLAlchemy and numpy, a few hundred milliseconds, which a short run would pay in
``finish()``. So the first run starts the service as soon as ``init()`` has chosen the
local store (in the background: ``init`` does not wait), and the service is then shared by
every run of the user (any data dir or database), so later runs find it warm; it exits
after :data:`IDLE_SECONDS` without a connection. Nothing depends on it staying up: the spool
is the durable copy, a batch the service did not acknowledge is sent again, and if the
service cannot be reached the run starts its own child worker instead.

Where: a Unix socket in a private (0700) runtime dir (see
:func:`trailmark.settings.runtime_dir`). The socket's name carries a stamp of the
interpreter and of every module of the installed ``trailmark`` package (which includes this
package and the store), so two virtual envs, two versions, or code edited since the service
started never share a service.

Protocol per connection: one JSON line ``{"data_dir": ..., "db_url": ...}``, then the
frames and answers of :mod:`.framing`.

Started as ``python -m trailmark.sdk.local_ingest.service SOCKET [--idle SECONDS]``: the
command detaches (a new session, stdio closed) and binds the socket before the heavy imports,
so that clients can connect at once and wait in the backlog.
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
from typing import BinaryIO

IDLE_SECONDS = 120.0
"""A service with no connection for this long exits."""

MODULE = "trailmark.sdk.local_ingest.service"


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
        [sys.executable, "-m", MODULE, str(path), "--idle", str(idle)],
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


class _Service:
    def __init__(self, listener: socket.socket, path: Path, idle: float) -> None:
        self.listener = listener
        self.path = path
        self.idle = idle
        self.active = 0
        self.last_seen = time.monotonic()
        self.lock = threading.Lock()
        self.inode = os.stat(path).st_ino

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

    def _serve(self, conn: socket.socket) -> None:
        import orjson

        from trailmark.sdk.local_ingest.worker import serve

        try:
            conn.settimeout(None)
            with conn.makefile("rb") as inp, conn.makefile("wb") as out:
                hello = orjson.loads(inp.readline() or b"{}")
                data_dir, db_url = hello.get("data_dir"), hello.get("db_url") or None
                if isinstance(data_dir, str) and data_dir:
                    serve(Path(data_dir), db_url, _cast(inp), _cast(out))
        except (OSError, ValueError):
            pass  # the client went away or spoke nonsense: its spool still has the data
        finally:
            conn.close()
            with self.lock:
                self.active -= 1
                self.last_seen = time.monotonic()


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
    # The heavy imports happen now, while early clients already wait in the backlog.
    _load_the_store()
    _Service(listener, args.socket, args.idle).run()


if __name__ == "__main__":
    main()
