"""Column types and lengths as the migrations' tables were declared: frozen copies.

A migration creates what its own module declares, never what :mod:`trailmark.store.schema`
says today, so a later edit to the schema (or to :mod:`trailmark.limits`) cannot change what
an old migration creates; a change needs a new migration, and the upgrade tests say so.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Integer
from sqlalchemy.dialects.postgresql import JSONB

Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only aliases INTEGER PRIMARY KEY to the rowid; BIGINT would not autoincrement.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAME_LENGTH = 256
"""``limits.MAX_NAME_LENGTH`` when the tables were written."""
KEY_LENGTH = 256
"""``limits.MAX_KEY_LENGTH`` when the tables were written."""
PATH_LENGTH = 1024
"""``manifest.MAX_PATH_CHARS`` when the tables were written."""
