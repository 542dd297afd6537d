"""A finished local run's spool, handed to the ingest service instead of waited for.

Why: a user's first run starts the service, whose imports (SQLAlchemy, numpy, the store)
take about half a second before it stores anything. ``finish()`` used to wait for all of
it. Now, when the run's sender talks to the service, ``finish()`` hands the spool over and
returns: the spool already holds every record (one ``write`` per ``log()``), the service
flushes it to disk (``fsync``) before it answers, then ships it as ``trailmark sync`` would,
acknowledging into the spool as usual, and removes it once stored.

The spool's lock goes with it: the client sends the file descriptor that holds the
writer's ``flock`` (``SCM_RIGHTS``), so the spool never looks abandoned in between, and
``trailmark sync`` sees a live writer until the service has let it go. If the service dies
first, the lock goes with it and the spool is an ordinary leftover: ``trailmark sync``
ships it, and so does the next :func:`wait_until_stored` of the process that handed it off.

Readers: :func:`wait_until_stored`, which ``Api(dir=...)`` calls before it reads, waits
until the service holds no adopted spool of that data dir, so a script that reads right
after ``finish()`` sees its whole run. Other readers (``trailmark ui``, a server on the
same data dir) may see the run ``running`` for the moment the service needs.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import orjson

from trailmark.sdk.local_ingest import service
from trailmark.sdk.local_ingest.framing import raise_for_answer
from trailmark.sdk.transports import PermanentError, TransientError

HAND_OFF_WAIT = 5.0
"""How long ``finish()`` waits for the service to take the spool before shipping it itself."""

_handed_off: dict[Path, dict[Path, Path]] = {}
"""The spools this process handed off, per data dir (resolved), until seen stored: each
with the socket of the service that took it."""
_handed_off_lock = threading.Lock()


def request_adoption(
    socket_path: Path, spool: Path, lock_fd: int, hello: dict[str, Any]
) -> socket.socket | None:
    """Ask the service at ``socket_path`` to take ``spool`` over; its connection, if it did.

    The service ships the spool once the caller closes that connection (after stopping its
    own sender), or at once if the caller dies.
    """
    # The run's sender is connected to it already: a service that does not answer at once
    # has just died, and the caller ships the spool itself (starting a service or a worker).
    sock = service.connect(socket_path, wait=0.5)
    if sock is None:
        return None
    try:
        sock.settimeout(HAND_OFF_WAIT)
        request = {**hello, "adopt": str(spool.resolve())}
        socket.send_fds(sock, [orjson.dumps(request) + b"\n"], [lock_fd])
        with sock.makefile("rb") as answers:
            raise_for_answer(answers.readline())
    except (OSError, ValueError, PermanentError, TransientError):
        # Refused, timed out or gone: the caller ships the spool itself.
        sock.close()
        return None
    data_dir = Path(hello["data_dir"])
    with _handed_off_lock:
        _handed_off.setdefault(data_dir, {})[spool.resolve()] = socket_path
    return sock


def wait_until_stored(data_dir: Path, service_dir: Path | None, timeout: float) -> None:
    """Return once no finished run of ``data_dir`` waits in the ingest service to be stored.

    Asks the service of ``service_dir`` (when one listens) and those that took spools of
    this process, then ships itself any spool this process handed off that a service let
    go without storing (it died). After ``timeout`` seconds it warns and returns: what is
    read then may lack those runs' last records.
    """
    key = data_dir.resolve()
    with _handed_off_lock:
        mine = dict(_handed_off.get(key, {}))
    sockets = set(mine.values())
    if service_dir is not None:
        sockets.add(service.socket_path(service_dir))
    deadline = time.monotonic() + timeout
    for path in sorted(sockets):
        if not _service_is_idle(path, key, max(0.0, deadline - time.monotonic())):
            warnings.warn(
                f"trailmark: the local ingest service is still storing finished runs of {key} "
                f"after {timeout:g} s; what is read now may lack their last records (they "
                "are safe in their spools; it goes on storing them)",
                stacklevel=3,
            )
            break
    for spool_path in sorted(mine):
        if spool_path.exists() and not _held(spool_path):
            from trailmark.sdk.sync import sync_spool

            sync_spool(spool_path, data_dir=data_dir)
        if not spool_path.exists():
            with _handed_off_lock:
                _handed_off.get(key, {}).pop(spool_path, None)


def _service_is_idle(path: Path, data_dir: Path, timeout: float) -> bool:
    """Whether the service at ``path`` holds no adopted spool of ``data_dir`` (no service
    there: it holds none)."""
    if not path.exists():
        return True
    sock = service.connect(path)
    if sock is None:
        return True
    try:
        sock.settimeout(timeout + 5.0)
        sock.sendall(orjson.dumps({"wait": str(data_dir), "timeout": timeout}) + b"\n")
        with sock.makefile("rb") as answers:
            line = answers.readline()
        if not line:
            return True  # an older service, or it died: it holds nothing any more
        return bool(orjson.loads(line).get("ok"))
    except (OSError, ValueError):
        return True
    finally:
        sock.close()


def _held(path: Path) -> bool:
    from trailmark.sdk.spool import writer_is_alive

    with contextlib.suppress(OSError):
        return writer_is_alive(path)
    return False
