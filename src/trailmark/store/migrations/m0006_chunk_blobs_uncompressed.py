"""0006_chunk_blobs_uncompressed: PostgreSQL stores chunk blobs out of line without trying
to compress them: they are compressed by our codec already (or partial, raw and soon
rewritten), and its attempt cost a quarter of the database's CPU under many writers.
Nothing to do on SQLite."""

from __future__ import annotations

from sqlalchemy import Connection, text

CHUNK_BLOBS = ("steps", "times", "vals", "sketch")


def apply(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        for column in CHUNK_BLOBS:
            conn.execute(text(f"ALTER TABLE chunks ALTER COLUMN {column} SET STORAGE EXTERNAL"))
