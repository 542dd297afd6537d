"""Named, forward-only migrations applied in one transaction and recorded in a table.

Why not Alembic: our migrations are forward-only and few; a list of named functions
(the sqlite-utils pattern) needs no ini file or env.py and adds nothing to start-up.

Migration 0001 creates the tables of :mod:`schema` as they are now, so every later
migration must be idempotent (use :func:`add_column_if_missing`): a fresh database
gets the current schema at once and skips nothing harmful.

Many servers may start at once on an empty database: the whole run happens under
one lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so exactly
one of them applies each migration.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Column, Connection, inspect, select, text

from trailmark.store.database import Database
from trailmark.store.schema import metadata, migrations_table

Migration = Callable[[Connection], None]

_ADVISORY_LOCK_ID = 0x7472_6D61  # "trma"


def _initial(conn: Connection) -> None:
    metadata.create_all(conn)


MIGRATIONS: list[tuple[str, Migration]] = [
    ("0001_initial", _initial),
]


def add_column_if_missing(conn: Connection, table: str, column: Column[object]) -> None:
    existing = {c["name"] for c in inspect(conn).get_columns(table)}
    if column.name not in existing:
        ddl = column.type.compile(dialect=conn.dialect)
        conn.execute(text(f'ALTER TABLE {table} ADD COLUMN "{column.name}" {ddl}'))


def migrate(db: Database) -> list[str]:
    """Apply every migration not yet recorded; return the names applied now."""
    applied_now: list[str] = []
    with db.write() as conn:
        if not db.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
        migrations_table.create(conn, checkfirst=True)
        done = set(conn.execute(select(migrations_table.c.name)).scalars())
        for name, apply in MIGRATIONS:
            if name in done:
                continue
            apply(conn)
            conn.execute(migrations_table.insert().values(name=name, applied_at=time.time()))
            applied_now.append(name)
    return applied_now
