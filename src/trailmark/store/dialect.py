"""The few statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Select


def insert_ignoring_conflicts(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: concurrent writers may race to create the same row."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(table).on_conflict_do_nothing(), rows)
    else:
        conn.execute(sqlite.insert(table).on_conflict_do_nothing(), rows)


def for_update(conn: Connection, query: Select[Any]) -> Select[Any]:
    """Lock the selected rows for the transaction (SQLite's BEGIN IMMEDIATE already has)."""
    return query.with_for_update() if conn.dialect.name == "postgresql" else query


def execute_many(conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """One statement over many rows, handed to the driver as they are (``?`` placeholders).

    For bulk writes of thousands of rows (a wide step's chunks and series stats): compiling
    and converting parameters row by row costs SQLAlchemy ~10 µs a row, several times what
    the driver takes. Values must already be what the driver stores: JSON as text, blobs as
    bytes. Placeholders are rewritten for drivers that use ``%s``.
    """
    if not rows:
        return
    sql = _placeholders(conn, sql)
    with _driver_cursor(conn, sql) as cursor:
        cursor.executemany(sql, rows)


def insert_many(
    conn: Connection,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: list[tuple[Any, ...]],
) -> None:
    """Insert rows (values as the driver stores them, see :func:`execute_many`).

    On PostgreSQL by ``COPY``: one statement streamed in the driver's C code, where an
    ``INSERT`` per row costs psycopg ~25 µs of Python each (its pipeline bookkeeping).
    """
    if not rows:
        return
    names = ", ".join(name for name, _ in columns)
    if conn.dialect.name != "postgresql":
        marks = ", ".join("?" * len(columns))
        execute_many(conn, f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        return
    sql = f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)"
    with _driver_cursor(conn, sql) as cursor, cursor.copy(sql) as copy:
        copy.set_types([kind for _, kind in columns])
        for row in rows:
            copy.write_row(row)


def update_many(
    conn: Connection,
    table: str,
    key: tuple[str, str],
    columns: Sequence[tuple[str, str]],
    rows: list[tuple[Any, ...]],
) -> None:
    """``UPDATE table SET column = value, ... WHERE key = value`` for each row of values
    (the columns' values first, the key's last); ``key`` and ``columns`` are (name,
    PostgreSQL type) pairs, a ``jsonb`` column's values JSON texts.

    On PostgreSQL one statement for all rows, handed over as one JSON array: the same
    statement text whatever the row count, one execution instead of one a row, and no
    per-value adaptation in Python.
    """
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        sets = ", ".join(f"{name} = ?" for name, _ in columns)
        execute_many(conn, f"UPDATE {table} SET {sets} WHERE {key[0]} = ?", rows)
        return
    every = [*columns, key]
    sets = ", ".join(f"{name} = v.{name}" for name, _ in columns)
    sql = f"UPDATE {table} SET {sets} FROM {_recordset(every)} WHERE {table}.{key[0]} = v.{key[0]}"
    with _driver_cursor(conn, sql) as cursor:
        cursor.execute(sql, (_json_records(every, rows),))


def _recordset(columns: Sequence[tuple[str, str]]) -> str:
    """PostgreSQL: one JSON array parameter (:func:`_json_records`) read as rows named ``v``."""
    record = ", ".join(f"{name} {kind}" for name, kind in columns)
    return f"jsonb_to_recordset(%s::jsonb) AS v({record})"


def _json_records(columns: Sequence[tuple[str, str]], rows: list[tuple[Any, ...]]) -> str:
    """Rows as one JSON array of objects, for ``jsonb_to_recordset``; a ``jsonb`` column's
    values are JSON texts and go in as they are (a fragment), not parsed and written again."""
    as_json = [orjson.Fragment if kind == "jsonb" else None for _, kind in columns]
    records = [
        {
            name: wrap(value) if wrap else value
            for (name, _), wrap, value in zip(columns, as_json, row, strict=True)
        }
        for row in rows
    ]
    return orjson.dumps(records).decode()


def insert_new(
    conn: Connection,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: list[tuple[Any, ...]],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING``: insert the rows that do not exist
    yet (values as the driver stores them, ``columns`` (name, PostgreSQL type) pairs, as for
    :func:`update_many`) and return the ``returning`` columns of those it inserted. A row
    another writer created meanwhile is skipped, not returned: read it afterwards.

    One statement for all rows on PostgreSQL (handed over as one JSON array, as
    :func:`update_many` does), where ``executemany`` costs a statement a row; on SQLite one
    multi-row ``VALUES`` per few hundred rows.
    """
    if not rows:
        return []
    names = ", ".join(name for name, _ in columns)
    tail = f"ON CONFLICT DO NOTHING RETURNING {', '.join(returning)}"
    if conn.dialect.name == "postgresql":
        sql = f"INSERT INTO {table} ({names}) SELECT {names} FROM {_recordset(columns)} {tail}"
        return fetch_all(conn, sql, (_json_records(columns, rows),))
    out: list[tuple[Any, ...]] = []
    marks = "(" + ", ".join("?" * len(columns)) + ")"
    step = max(1, _SQLITE_MAX_VALUES // len(columns))
    for start in range(0, len(rows), step):
        part = rows[start : start + step]
        sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([marks] * len(part))} {tail}"
        out += fetch_all(conn, sql, tuple(value for row in part for value in row))
    return out


_SQLITE_MAX_VALUES = 30_000
"""Bound values per SQLite statement (its limit is 32,766 since 3.32)."""


def fetch_all(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The rows of a query handed to the driver as it is (``?`` placeholders), as tuples."""
    sql = _placeholders(conn, sql)
    with _driver_cursor(conn, sql) as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def fetch_together(
    conn: Connection, queries: Sequence[tuple[str, tuple[Any, ...]]]
) -> list[list[tuple[Any, ...]]]:
    """The rows of each query (as :func:`fetch_all`), sent to PostgreSQL together, in one
    round trip (psycopg's pipeline mode), rather than one round trip each: on a busy
    machine, each wait for the database is also a wait to get the CPU and the interpreter
    back. On SQLite, one after the other."""
    driver: Any = conn.connection.driver_connection
    pipeline = getattr(driver, "pipeline", None) if conn.dialect.name == "postgresql" else None
    if pipeline is None or len(queries) < 2:
        return [fetch_all(conn, sql, params) for sql, params in queries]
    cursors: list[Any] = []
    try:
        with _as_sqlalchemy_errors(conn, "(pipelined queries)"):
            with pipeline():
                for sql, params in queries:
                    cursor = driver.cursor()
                    cursors.append(cursor)
                    cursor.execute(_placeholders(conn, sql), params)
            return [[tuple(row) for row in cursor.fetchall()] for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def _placeholders(conn: Connection, sql: str) -> str:
    return sql.replace("?", "%s") if conn.dialect.paramstyle in ("format", "pyformat") else sql


@contextlib.contextmanager
def _driver_cursor(conn: Connection, sql: str) -> Iterator[Any]:
    """A cursor of the connection's driver, in its transaction; errors raised as
    SQLAlchemy's of the same kind. Going around SQLAlchemy's execution and result set-up
    (description, column maps, events) is a quarter of a small ingest group's CPU."""
    cursor = conn.connection.cursor()
    try:
        with _as_sqlalchemy_errors(conn, sql):
            yield cursor
    finally:
        cursor.close()


@contextlib.contextmanager
def _as_sqlalchemy_errors(conn: Connection, statement: str) -> Iterator[None]:
    """The driver's errors raised inside, raised as SQLAlchemy's of the same kind (what
    callers catch: ``OperationalError`` for a locked or lost database, and so on)."""
    driver_error: type[Exception] = getattr(conn.dialect.dbapi, "Error", Exception)
    try:
        yield
    except DBAPIError:
        raise
    except driver_error as exc:
        raise DBAPIError.instance(statement, None, exc, driver_error) from exc


@contextlib.contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """Statements run inside go to PostgreSQL without waiting for each other's answers
    (psycopg's pipeline mode): one round trip for all instead of one each, for writes
    whose results nobody reads. A no-op on SQLite, where there is no round trip.

    An error of a pipelined statement is raised when the pipeline syncs, outside
    SQLAlchemy: it is raised as SQLAlchemy's error of the same kind, as any other.
    """
    driver = conn.connection.driver_connection
    pipeline = getattr(driver, "pipeline", None) if conn.dialect.name == "postgresql" else None
    if pipeline is None:
        yield
        return
    with _as_sqlalchemy_errors(conn, "(pipelined statements)"), pipeline():
        yield
