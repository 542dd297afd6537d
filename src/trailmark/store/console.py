"""Console lines of runs: appended by ingest, read by page, by tail, by stream and by search.

Lines are numbered per run from 1 in the order ingest receives them (all writers of a run
share the numbering), so ``after=<last line seen>`` follows the tail of a live run.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, or_, select

from trailmark import records as rec
from trailmark.errors import InvalidInput, NotFound
from trailmark.limits import MAX_CONSOLE_LINE_CHARS, MAX_CONSOLE_LINES_PER_RECORD, MAX_PAGE_SIZE
from trailmark.store.database import Database
from trailmark.store.schema import console_lines, runs

_CUT_NOTE = " [line cut by the server at {limit} characters]"


def check_log_record(record: dict[str, Any], where: str) -> None:
    """A ``log`` record: ``lines`` of ``[time, "stdout"|"stderr", text]``."""
    lines = record.get("lines")
    if not isinstance(lines, list):
        raise InvalidInput(f"{where}: lines must be a list of [time, stream, text]")
    if len(lines) > MAX_CONSOLE_LINES_PER_RECORD:
        raise InvalidInput(
            f"{where}: at most {MAX_CONSOLE_LINES_PER_RECORD} lines per record, got {len(lines)}"
        )
    for index, line in enumerate(lines):
        if not isinstance(line, list) or len(line) != 3:
            raise InvalidInput(f"{where}: line {index} must be [time, stream, text]")
        when, stream, text = line
        if type(when) not in (int, float):
            raise InvalidInput(f"{where}: line {index} has a time that is not a number: {when!r}")
        if stream not in rec.STREAMS:
            raise InvalidInput(
                f"{where}: line {index} has stream {stream!r}; use 'stdout' or 'stderr'"
            )
        if not isinstance(text, str):
            raise InvalidInput(f"{where}: line {index} has text that is not a string")


def _storable(text: str) -> str:
    # PostgreSQL text cannot hold NUL; a line over the limit is cut (the SDK cuts first).
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if len(text) > MAX_CONSOLE_LINE_CHARS:
        text = text[:MAX_CONSOLE_LINE_CHARS] + _CUT_NOTE.format(limit=MAX_CONSOLE_LINE_CHARS)
    return text


def append_lines(conn: Connection, run_id: str, rank: int | None, lines: list[list[Any]]) -> None:
    """Number and insert lines after the run's last one (the caller holds the run's lock)."""
    if not lines:
        return
    last = conn.execute(
        select(func.max(console_lines.c.n)).where(console_lines.c.run_id == run_id)
    ).scalar()
    first = int(last or 0) + 1
    conn.execute(
        console_lines.insert(),
        [
            {
                "run_id": run_id,
                "n": first + i,
                "time": float(when),
                "stream": stream,
                "rank": rank,
                "text": _storable(text),
            }
            for i, (when, stream, text) in enumerate(lines)
        ],
    )


def delete_lines(conn: Connection, run_ids: Any) -> None:
    conn.execute(delete(console_lines).where(console_lines.c.run_id.in_(run_ids)))


def _line_view(row: Any) -> dict[str, Any]:
    return {"n": row.n, "time": row.time, "stream": row.stream, "rank": row.rank, "text": row.text}


class ConsoleStore:
    """Reads of console lines."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def lines(
        self,
        run_id: str,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 1000,
        search: str | None = None,
        stream: str | None = None,
        rank: int | None = None,
        tail: bool = False,
    ) -> dict[str, Any]:
        """A page of lines: ``{"lines": [{"n", "time", "stream", "rank", "text"}], "next"}``.

        Lines numbered above ``after`` and below ``before``, matching ``stream``, ``rank``
        (0 also matches a process without a rank) and ``search`` (a case-insensitive
        substring), in order. ``tail`` gives the last ``limit`` of them instead of the first.
        ``next`` is the ``after`` for the following page when more lines match now, else null;
        to follow a live run, poll with ``after`` = the last line's ``n``.
        """
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
        if stream is not None and stream not in rec.STREAMS:
            raise InvalidInput(f"stream must be 'stdout' or 'stderr', got {stream!r}")
        query = select(console_lines).where(console_lines.c.run_id == run_id)
        if after is not None:
            query = query.where(console_lines.c.n > after)
        if before is not None:
            query = query.where(console_lines.c.n < before)
        if stream is not None:
            query = query.where(console_lines.c.stream == stream)
        if rank is not None:
            query = query.where(
                or_(console_lines.c.rank == rank, console_lines.c.rank.is_(None))
                if rank == 0
                else console_lines.c.rank == rank
            )
        if search:
            escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(console_lines.c.text.ilike(f"%{escaped}%", escape="\\"))
        order = console_lines.c.n.desc() if tail else console_lines.c.n
        with self.db.read() as conn:
            if conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first() is None:
                raise NotFound(f"run {run_id!r} does not exist")
            rows = list(conn.execute(query.order_by(order).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        if tail:
            rows.reverse()
            more = False
        lines = [_line_view(r) for r in rows]
        return {"lines": lines, "next": lines[-1]["n"] if more else None}
