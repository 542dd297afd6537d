"""0002_console: console lines of runs, and bulky run metadata kept beside the runs row."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from trailmark.store.migrations import m0001_initial as initial
from trailmark.store.migrations.frozen import KEY_LENGTH, Json

NAME = "0002_console"

metadata = MetaData()

# numbered per run in the order the lines were ingested
console_lines = Table(
    "console_lines",
    metadata,
    Column(
        "run_id",
        String(64),
        ForeignKey(initial.runs.c.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("n", BigInteger, primary_key=True, autoincrement=False),
    Column("time", Float, nullable=False),
    Column("stream", String(8), nullable=False),
    Column("rank", Integer, nullable=True),
    Column("text", Text, nullable=False),
)

# the uncommitted diff, the package list: kept out of the runs row, which every batch rewrites
run_metadata = Table(
    "run_metadata",
    metadata,
    Column(
        "run_id",
        String(64),
        ForeignKey(initial.runs.c.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("path", String(KEY_LENGTH), primary_key=True),
    Column("value", Json, nullable=True),
)


def apply(conn: Connection) -> None:
    metadata.create_all(conn, checkfirst=True)
