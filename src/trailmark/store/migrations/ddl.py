"""Running the migrations' frozen DDL: one SQL text per migration, for both databases.

A migration's SQL is the statements its tables were first created with, written out once
and never regenerated, so a later edit of :mod:`trailmark.store.schema` (or of
:mod:`trailmark.limits`) cannot change what an old migration creates. The few words that
differ between SQLite and PostgreSQL are placeholders, filled from :data:`WORDS`.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect

WORDS = {
    "sqlite": {"serial": "INTEGER", "bigid": "INTEGER", "json": "JSON", "blob": "BLOB"},
    "postgresql": {"serial": "BIGSERIAL", "bigid": "BIGINT", "json": "JSONB", "blob": "BYTEA"},
}
"""``{serial}``: a numbered primary key (SQLite numbers only an INTEGER PRIMARY KEY, as its
rowid); ``{bigid}``: a column that refers to one; ``{json}``, ``{blob}``: JSON and bytes."""


def execute_script(conn: Connection, script: str) -> None:
    """Run the statements of ``script`` (each ends with ``;`` at the end of a line)."""
    for statement in script.format_map(WORDS[conn.dialect.name]).split(";\n"):
        if statement.strip():
            conn.exec_driver_sql(statement)


def add_column_if_missing(conn: Connection, table: str, column: str, type_: str) -> None:
    """``ALTER TABLE table ADD COLUMN column type_`` unless the column is there already.

    The column is nullable (existing rows get NULL); ``type_`` may hold :data:`WORDS`.
    """
    if column not in {c["name"] for c in inspect(conn).get_columns(table)}:
        type_sql = type_.format_map(WORDS[conn.dialect.name])
        conn.exec_driver_sql(f'ALTER TABLE {table} ADD COLUMN "{column}" {type_sql}')
