"""Adding a column to a table that has rows, the one change of a table the migrations make."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Connection, inspect, text


def add_column_if_missing(conn: Connection, table: str, column: Column[Any]) -> None:
    """``ALTER TABLE table ADD COLUMN``, unless the column is there already.

    The column must be nullable: existing rows get NULL, and a NOT NULL column would need
    a server default this helper does not write.
    """
    if not column.nullable:
        raise ValueError(f"{table}.{column.name}: a column added to a table must be nullable")
    existing = {c["name"] for c in inspect(conn).get_columns(table)}
    if column.name not in existing:
        ddl = column.type.compile(dialect=conn.dialect)
        conn.execute(text(f'ALTER TABLE {table} ADD COLUMN "{column.name}" {ddl}'))
