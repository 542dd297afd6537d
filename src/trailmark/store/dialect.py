"""The few statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
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
