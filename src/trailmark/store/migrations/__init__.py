"""Named, forward-only migrations applied in one transaction and recorded in a table.

Each migration is one module, ``m<name>.py`` (``m0001_initial.py``) with ``apply(conn)``, and
it creates exactly what it says itself: the SQL its tables were first created with, frozen
(see :mod:`.ddl`), never the tables of :mod:`~trailmark.store.schema`, which say what the
schema is *now*. So a database upgraded from any earlier migration equals a fresh one, and a
change to the schema without a migration shows: ``tests/store/test_migrations.py`` upgrades a
database from every prefix of :data:`MIGRATIONS` and compares it with
``schema.metadata.create_all`` on both databases. A released migration module is never
edited; a new change is a new module at the end of the list. Every step is idempotent
(``IF NOT EXISTS``, :func:`add_column_if_missing`): databases made before the migrations were
frozen got every table from 0001 at once, and their later steps found the tables there.

Why not Alembic: our migrations are forward-only, few, and run by whatever opens the
database (the server, or the SDK's local store in a data dir) when it starts: there is no
deploy step to hand a tool to. A list of named modules (the
sqlite-utils pattern) needs no ini file, no env.py, no revision graph and adds nothing to
start-up; what Alembic's autogenerate would offer, noticing schema drift, the comparison test
above does on both databases. The day we need down-migrations or branches, Alembic is the
answer, starting from a revision that stands for the last of these.

Many servers may start at once on an empty database: the whole run happens under
one lock (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so exactly
one of them applies each migration.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable

from sqlalchemy import Connection, text

from trailmark.store.database import Database
from trailmark.store.migrations.ddl import add_column_if_missing
from trailmark.store.migrations.m0006_chunk_blobs_uncompressed import CHUNK_BLOBS

__all__ = ["CHUNK_BLOBS", "MIGRATIONS", "Migration", "add_column_if_missing", "migrate"]

Migration = Callable[[Connection], None]


def _deferred(name: str) -> Migration:
    """The ``apply`` of module ``m<name>``, imported when it runs: a database that is up to
    date (every start but the first) never loads their SQL."""

    def apply(conn: Connection) -> None:
        importlib.import_module(f"{__name__}.m{name}").apply(conn)

    return apply


MIGRATIONS: list[tuple[str, Migration]] = [
    (name, _deferred(name))
    for name in (
        "0001_initial",
        "0002_console",
        "0003_artifacts",
        "0004_mlflow",
        "0005_chunk_sketches",
        "0006_chunk_blobs_uncompressed",
        "0007_webhook_secrets_sealed",
        "0008_logged_model_metrics",
        "0009_loose_artifacts",
        "0010_accounts",
    )
]

_ADVISORY_LOCK_ID = 0x7472_6D61  # "trma"

# The record of applied migrations as the runner first made it (schema.py declares the same
# table for queries; the comparison test keeps the two equal).
_RECORD = """
CREATE TABLE IF NOT EXISTS trailmark_migrations (
    name VARCHAR(128) NOT NULL,
    applied_at FLOAT NOT NULL,
    PRIMARY KEY (name)
)"""


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
        conn.exec_driver_sql(_RECORD)
        done = set(conn.execute(text("SELECT name FROM trailmark_migrations")).scalars())
        for name, apply in MIGRATIONS:
            if name not in done:
                apply(conn)
                conn.execute(
                    text("INSERT INTO trailmark_migrations (name, applied_at) VALUES (:n, :t)"),
                    {"n": name, "t": time.time()},
                )
                applied_now.append(name)
            if name == upto:
                break
    return applied_now
