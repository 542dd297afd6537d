"""The rows an ingest group reads and writes besides its series: projects, runs, writers.

Through the driver, with statements written once: a group of a few small batches (the
usual case on a busy server: every writer sends a few batches a second) spent more time
building and compiling SQLAlchemy statements for these few rows than in the database.
Placeholders are ``?`` (rewritten for drivers that use ``%s`` by
:func:`~trailmark.store.dialect.fetch_all` and :func:`~trailmark.store.dialect.execute_many`);
JSON columns are read with :func:`~trailmark.store.database.json_value` where the driver
hands back text (SQLite) and written as text cast to JSONB on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection

from trailmark.store.database import json_text, json_value
from trailmark.store.dialect import execute_many, fetch_all, insert_new
from trailmark.store.nul import decode_text, encode_text
from trailmark.store.runs import ensure_project
from trailmark.store.schema import writers

RUN_JSON_COLUMNS = frozenset({"config", "summary", "tags", "metadata"})
RUN_TEXT_COLUMNS = frozenset({"notes", "error"})
"""Written through the driver, not :class:`~trailmark.store.nul.NulSafeText`: encoded here."""


class RunRow(NamedTuple):
    """What ingest needs of a run's row (JSON columns decoded)."""

    id: str
    project_id: int
    name: str
    state: str
    config: dict[str, Any]
    summary: dict[str, Any]
    tags: list[str]
    notes: str
    group_name: str | None
    job_type: str | None
    host: str | None
    metadata: dict[str, Any]
    created_at: float
    ended_at: float | None
    exit_code: int | None
    error: str | None
    last_step: int | None


_RUN_SELECT = "SELECT " + ", ".join(RunRow._fields) + " FROM runs WHERE id IN ({marks}) ORDER BY id"
_JSON_FIELDS = tuple(i for i, name in enumerate(RunRow._fields) if name in RUN_JSON_COLUMNS)
_TEXT_FIELDS = tuple(i for i, name in enumerate(RunRow._fields) if name in RUN_TEXT_COLUMNS)


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _decoded(value: Any) -> Any:
    return json_value(value) if isinstance(value, (str, bytes)) else value


Query = tuple[str, tuple[Any, ...]]


def project_ids(conn: Connection, names: Iterable[str], found: dict[str, int]) -> dict[str, int]:
    """Project ids by name, creating the missing projects (``found``: what
    :func:`projects_query` read in this transaction)."""
    wanted = sorted(set(names))
    for name in wanted:
        if name not in found:
            found[name] = ensure_project(conn, name)
    return found


def projects_query(names: Sequence[str]) -> Query:
    return f"SELECT name, id FROM projects WHERE name IN ({_marks(len(names))})", tuple(names)


def projects_found(rows: list[tuple[Any, ...]]) -> dict[str, int]:
    return {name: int(pid) for name, pid in rows}


def lock_runs(conn: Connection, run_ids: Sequence[str]) -> dict[str, RunRow]:
    """The rows of ``run_ids`` that exist, locked for the transaction in id order (so that
    two servers applying groups at once never deadlock on PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` has already locked everything)."""
    return runs_found(fetch_all(conn, *runs_query(conn, run_ids)))


def runs_query(conn: Connection, run_ids: Sequence[str]) -> Query:
    """The statement of :func:`lock_runs` (its rows go to :func:`runs_found`)."""
    sql = _RUN_SELECT.format(marks=_marks(len(run_ids)))
    if conn.dialect.name == "postgresql":
        sql += " FOR UPDATE"
    return sql, tuple(run_ids)


def runs_found(found: list[tuple[Any, ...]]) -> dict[str, RunRow]:
    rows: dict[str, RunRow] = {}
    for values in found:
        fields = list(values)
        for index in _JSON_FIELDS:
            fields[index] = _decoded(fields[index])
        for index in _TEXT_FIELDS:
            if isinstance(fields[index], str):
                fields[index] = decode_text(fields[index])
        row = RunRow(*fields)
        rows[row.id] = row
    return rows


def writer_seqs(
    conn: Connection,
    first_seen: dict[tuple[str, str], tuple[int | None, str | None]],
    now: float,
    found: dict[tuple[str, str], int],
) -> dict[tuple[str, str], int]:
    """The highest sequence number applied so far of each (run, writer) in ``first_seen``
    (which maps them to their rank and host), locked for the transaction; a writer seen for
    the first time is recorded with its rank and host (``found``: what
    :func:`seqs_query` read in this transaction)."""
    seqs = dict(found)
    missing = [key for key in first_seen if key not in seqs]
    if missing:
        created = insert_new(
            conn,
            writers.name,
            _NEW_WRITER_COLUMNS,
            [
                (run_id, writer, 0, *first_seen[(run_id, writer)], now, now)
                for run_id, writer in missing
            ],
            ("run_id", "writer_id", "last_seq"),
        )
        seqs.update(seqs_found(created))
        raced = [key for key in missing if key not in seqs]  # created by another writer meanwhile
        if raced:
            seqs.update(seqs_found(fetch_all(conn, *seqs_query(conn, raced))))
    return {key: seqs[key] for key in first_seen}


_NEW_WRITER_COLUMNS = (
    ("run_id", "text"),
    ("writer_id", "text"),
    ("last_seq", "bigint"),
    ("rank", "integer"),
    ("host", "text"),
    ("created_at", "float8"),
    ("updated_at", "float8"),
)


def seqs_query(conn: Connection, keys: list[tuple[str, str]]) -> Query:
    """The statement that reads (and locks) writers' sequence numbers (its rows go to
    :func:`seqs_found`)."""
    run_ids = sorted({run_id for run_id, _ in keys})
    writer_ids = sorted({writer for _, writer in keys})
    sql = (
        f"SELECT run_id, writer_id, last_seq FROM writers WHERE run_id IN ({_marks(len(run_ids))})"
        f" AND writer_id IN ({_marks(len(writer_ids))}) ORDER BY run_id, writer_id"
    )
    if conn.dialect.name == "postgresql":
        sql += " FOR UPDATE"
    return sql, (*run_ids, *writer_ids)


def seqs_found(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str], int]:
    return {(run_id, writer): int(seq) for run_id, writer, seq in rows}


def update_runs(conn: Connection, changes: list[tuple[str, dict[str, Any]]]) -> None:
    """Write (run id, {column: value}) changes; one statement per distinct set of columns."""
    by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for run_id, values in changes:
        columns = tuple(sorted(values))
        row = tuple(_column_value(c, values[c]) for c in columns)
        by_columns.setdefault(columns, []).append((*row, run_id))
    jsonb = conn.dialect.name == "postgresql"
    for columns, rows in by_columns.items():
        sets = ", ".join(
            f"{c} = CAST(? AS JSONB)" if jsonb and c in RUN_JSON_COLUMNS else f"{c} = ?"
            for c in columns
        )
        execute_many(conn, f"UPDATE runs SET {sets} WHERE id = ?", rows)


def _column_value(column: str, value: Any) -> Any:
    if column in RUN_JSON_COLUMNS:
        return json_text(value)
    if column in RUN_TEXT_COLUMNS and isinstance(value, str):
        return encode_text(value)
    return value


def update_writers(conn: Connection, seqs: list[tuple[str, str, int]], now: float) -> None:
    """Record each (run, writer)'s highest applied sequence number."""
    execute_many(
        conn,
        "UPDATE writers SET last_seq = ?, updated_at = ? WHERE run_id = ? AND writer_id = ?",
        [(seq, now, run_id, writer) for run_id, writer, seq in seqs],
    )
