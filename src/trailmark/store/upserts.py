"""Insert-if-new and insert-or-update, atomic on SQLite and PostgreSQL (used by artifacts and registry)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def _insert(conn: Connection, table: Table) -> Any:
    return _insert_for(conn.dialect.name, table)


def _insert_for(dialect: str, table: Table) -> Any:
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def insert_new(conn: Connection, table: Table, row: dict[str, Any]) -> bool:
    """Insert ``row`` unless a row with the same unique key exists; whether it was inserted."""
    # rowcount is -1 on PostgreSQL when SQLAlchemy adds RETURNING; ask for the row instead.
    stmt = _insert(conn, table).values(row).on_conflict_do_nothing()
    return conn.execute(stmt.returning(*table.primary_key.columns)).first() is not None


def upsert(
    conn: Connection,
    table: Table,
    row: dict[str, Any] | list[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET update: one statement, so never two rows.
    ``row`` may be a list of rows with the same columns (one statement for all)."""
    if isinstance(row, list) and not row:
        return
    conn.execute(_upsert_statement(conn.dialect.name, table, tuple(keys), tuple(update)), row)


@functools.lru_cache(maxsize=64)
def _upsert_statement(
    dialect: str, table: Table, keys: tuple[str, ...], update: tuple[str, ...]
) -> Any:
    """Built once: building an upsert (its ``excluded`` columns) cost more than running it."""
    stmt = _insert_for(dialect, table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={name: stmt.excluded[name] for name in update}
    )


def insert_id(conn: Connection, stmt: Any) -> int:
    """Run an INSERT of one row and return its new integer primary key."""
    key = conn.execute(stmt).inserted_primary_key
    assert key is not None
    return int(key[0])
