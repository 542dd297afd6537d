"""0005_chunk_sketches: sketches of chunks, so charts of long series read a few percent of
the data (see :mod:`trailmark.store.sketches`); NULL where a chunk has none."""

from __future__ import annotations

from sqlalchemy import Connection

from trailmark.store.migrations.ddl import add_column_if_missing


def apply(conn: Connection) -> None:
    add_column_if_missing(conn, "chunks", "sketch", "{blob}")
