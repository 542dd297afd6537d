"""``trailmark sync``: ship offline or leftover spools, safely, any number of times.

A spool whose writer is dead (its lock is free) and that has no finish record gets one
appended (``crashed``) so the run does not look alive forever; a spool that is fully
shipped and whose writer is dead is removed. Replays are harmless: the store keeps each
(run, writer, seq) once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from trailmark.sdk import spool
from trailmark.sdk.run import encode
from trailmark.sdk.sender import ship_available
from trailmark.sdk.transports import HttpTransport, LocalTransport, TransientError, Transport


@dataclass
class SyncResult:
    path: Path
    run: str
    project: str
    destination: str
    shipped: int = 0
    rejected: int = 0
    remaining: int = 0
    marked_crashed: bool = False
    error: str | None = None


def find_spools(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.rglob(f"*{spool.SPOOL_SUFFIX}")))
        elif path.is_file():
            found.append(path)
    return found


@dataclass(frozen=True)
class RejectedFile:
    """Records the server refused for good, set aside beside their spool (one JSON line
    each: the record and the reason); they are not stored anywhere else."""

    path: Path
    records: int


REJECTED_SUFFIX = ".rejected"


def find_rejected(paths: Iterable[Path]) -> list[RejectedFile]:
    """The ``.rejected`` files under the folders in ``paths`` and beside the spools named."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(path.rglob(f"*{REJECTED_SUFFIX}"))
        elif path.with_suffix(REJECTED_SUFFIX).is_file():
            found.add(path.with_suffix(REJECTED_SUFFIX))
    return [RejectedFile(p, _count_lines(p)) for p in sorted(found)]


def _count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def sync_spool(
    path: Path,
    url: str | None = None,
    data_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> SyncResult:
    """Ship one spool to ``url``, or to the destination its header names."""
    header = spool.read_header(path)
    destination = url or header.get("url")
    transport: Transport
    if destination:
        transport = HttpTransport(destination)
    else:
        local_dir = data_dir or Path(header.get("dir") or "~/.trailmark").expanduser()
        destination = str(local_dir)
        transport = LocalTransport(local_dir)
    result = SyncResult(path, header["run"], header["project"], destination)
    alive = spool.writer_is_alive(path)
    if not alive:
        result.marked_crashed = _close_dead_spool(path)
    try:
        while True:
            shipped, rejected = ship_available(path, header, transport)
            if not shipped and not rejected:
                break
            result.shipped += shipped
            result.rejected += rejected
            if progress:
                progress(shipped + rejected)
    except TransientError as exc:
        result.error = str(exc)
    finally:
        transport.close()
    result.remaining = spool.count_lines_after(path, spool.read_ack(path))
    if result.remaining == 0 and not alive:
        spool.remove(path)
    return result


def _close_dead_spool(path: Path) -> bool:
    """Drop a torn last line; append a ``crashed`` finish if the run never finished."""
    last = _last_record(path)
    if last is None or last.get("t") == "fin":
        return False
    record: dict[str, Any] = {
        "t": "fin",
        "q": int(last.get("q", 1)) + 1,
        "state": "crashed",
        "exit_code": None,
        "w": time.time(),
        "error": "the training process ended without finishing the run (killed or crashed)",
    }
    with path.open("ab") as f:
        f.write(encode(record))
        f.flush()
        os.fsync(f.fileno())
    return True


def _last_record(path: Path) -> dict[str, Any] | None:
    size = path.stat().st_size
    with path.open("rb+") as f:
        tail_start = max(0, size - (1 << 20))
        f.seek(tail_start)
        tail = f.read()
        end = tail.rfind(b"\n")
        if end < 0:
            return None
        if end != len(tail) - 1:  # a write torn by the kill: it never returned to the caller
            f.truncate(tail_start + end + 1)
        lines = tail[: end + 1].split(b"\n")
    complete = [line for line in lines if line]
    if not complete:
        return None
    record = orjson.loads(complete[-1])
    return record if isinstance(record, dict) and record.get("t") != "hdr" else None
