"""Named, forward-only migrations applied in one transaction and recorded in a table.

Each migration is one module, ``mNNNN_<name>.py``, holding ``NAME`` and ``apply(conn)``, and
it creates exactly what it declares itself: frozen :class:`~sqlalchemy.Table` objects in its
own ``MetaData`` (portable between SQLite and PostgreSQL, as :mod:`~trailmark.store.schema`
is), never the tables of :mod:`~trailmark.store.schema`, which say what the schema is *now*.
So a database upgraded from any earlier migration equals a fresh one, and a change to the
schema without a migration shows: ``tests/store/test_migrations.py`` upgrades a database
from every prefix of :data:`MIGRATIONS` and compares it with ``schema.metadata.create_all``
on both databases. A released migration module is never edited; a new change is a new module
at the end of the list. Every step is idempotent (``checkfirst``,
:func:`add_column_if_missing`): databases made before the migrations were frozen got every
table from 0001 at once, and their later steps found the tables there.

Why not Alembic: our migrations are forward-only, few, and all run by the server at start
(there is no separate deploy step to hand a tool to). A list of named modules (the
sqlite-utils pattern) needs no ini file, no env.py, no revision graph and adds nothing to
start-up; what Alembic's autogenerate would offer, noticing schema drift, the comparison test
above does on both databases. The day we need down-migrations or branches, Alembic is the
answer, starting from a revision that stands for the last of these.

Many servers may start at once on an empty database: the whole run happens under
one lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so exactly
one of them applies each migration.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Column, Connection, Float, MetaData, String, Table, select, text

from trailmark.store.database import Database
from trailmark.store.migrations import (
    m0001_initial,
    m0002_console,
    m0003_artifacts,
    m0004_mlflow,
    m0005_chunk_sketches,
    m0006_chunk_blobs_uncompressed,
)
from trailmark.store.migrations.columns import add_column_if_missing
from trailmark.store.migrations.m0006_chunk_blobs_uncompressed import CHUNK_BLOBS

__all__ = ["CHUNK_BLOBS", "MIGRATIONS", "Migration", "add_column_if_missing", "migrate"]

Migration = Callable[[Connection], None]

MIGRATIONS: list[tuple[str, Migration]] = [
    (module.NAME, module.apply)
    for module in (
        m0001_initial,
        m0002_console,
        m0003_artifacts,
        m0004_mlflow,
        m0005_chunk_sketches,
        m0006_chunk_blobs_uncompressed,
    )
]

_ADVISORY_LOCK_ID = 0x7472_6D61  # "trma"

# The record of applied migrations, frozen as the runner first made it (schema.py declares
# the same table for queries; the comparison test keeps the two equal).
_applied = Table(
    "trailmark_migrations",
    MetaData(),
    Column("name", String(128), primary_key=True),
    Column("applied_at", Float, nullable=False),
)


def migrate(db: Database, *, upto: str | None = None) -> list[str]:
    """Apply every migration not yet recorded; return the names applied now.

    ``upto`` stops after the migration of that name (tests build older databases with it).
    """
    names = [name for name, _ in MIGRATIONS]
    if upto is not None and upto not in names:
        raise ValueError(f"no migration named {upto!r}; there are {', '.join(names)}")
    applied_now: list[str] = []
    with db.write() as conn:
        if not db.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
        _applied.create(conn, checkfirst=True)
        done = set(conn.execute(select(_applied.c.name)).scalars())
        for name, apply in MIGRATIONS:
            if name not in done:
                apply(conn)
                conn.execute(_applied.insert().values(name=name, applied_at=time.time()))
                applied_now.append(name)
            if name == upto:
                break
    return applied_now
