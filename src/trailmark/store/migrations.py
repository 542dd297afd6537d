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

from trailmark.store import schema_artifacts
from trailmark.store.database import Database
from trailmark.store.schema import (
    chunks,
    console_lines,
    logged_models,
    metadata,
    migrations_table,
    projects,
    run_metadata,
    runs,
)

Migration = Callable[[Connection], None]

_ADVISORY_LOCK_ID = 0x7472_6D61  # "trma"


def _initial(conn: Connection) -> None:
    metadata.create_all(conn)


def _mlflow(conn: Connection) -> None:
    """Soft delete for projects and runs, experiment tags, MLflow 3 logged models."""
    add_column_if_missing(conn, "projects", projects.c.deleted_at)
    add_column_if_missing(conn, "projects", projects.c.properties)
    add_column_if_missing(conn, "runs", runs.c.deleted_at)
    logged_models.create(conn, checkfirst=True)


def _artifacts(conn: Connection) -> None:
    """Artifacts, run files, the model registry and webhooks (see :mod:`schema_artifacts`)."""
    metadata.create_all(conn, tables=schema_artifacts.ARTIFACT_TABLES, checkfirst=True)


def _console(conn: Connection) -> None:
    """Console lines of runs, and bulky run metadata kept beside the runs row."""
    console_lines.create(conn, checkfirst=True)
    run_metadata.create(conn, checkfirst=True)


def _chunk_sketches(conn: Connection) -> None:
    """Sketches of chunks, so charts of long series read a few percent of the data."""
    add_column_if_missing(conn, "chunks", chunks.c.sketch)


CHUNK_BLOBS = ("steps", "times", "vals", "sketch")


def _chunk_blobs_uncompressed(conn: Connection) -> None:
    """PostgreSQL stores chunk blobs out of line without trying to compress them: they are
    compressed by our codec already (or partial, raw and soon rewritten), and its attempt
    cost a quarter of the database's CPU under many writers. Nothing to do on SQLite."""
    if conn.dialect.name == "postgresql":
        for column in CHUNK_BLOBS:
            conn.execute(text(f"ALTER TABLE chunks ALTER COLUMN {column} SET STORAGE EXTERNAL"))


MIGRATIONS: list[tuple[str, Migration]] = [
    ("0001_initial", _initial),
    ("0002_console", _console),
    ("0003_artifacts", _artifacts),
    ("0004_mlflow", _mlflow),
    ("0005_chunk_sketches", _chunk_sketches),
    ("0006_chunk_blobs_uncompressed", _chunk_blobs_uncompressed),
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
