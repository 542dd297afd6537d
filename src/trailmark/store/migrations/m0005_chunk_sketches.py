"""0005_chunk_sketches: sketches of chunks, so charts of long series read a few percent of
the data (see :mod:`trailmark.store.sketches`); NULL where a chunk has none."""

from __future__ import annotations

from sqlalchemy import Column, Connection, LargeBinary

from trailmark.store.migrations.columns import add_column_if_missing

NAME = "0005_chunk_sketches"

chunk_sketch = Column("sketch", LargeBinary, nullable=True)


def apply(conn: Connection) -> None:
    add_column_if_missing(conn, "chunks", chunk_sketch)
