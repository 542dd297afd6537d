"""0001_initial: projects, runs, metric series and their chunks, writers (the tracking core).

The tables as the tracking core first shipped them; what later migrations add is theirs.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from trailmark.store.migrations.frozen import KEY_LENGTH, NAME_LENGTH, BigId, Json

NAME = "0001_initial"

metadata = MetaData()

projects = Table(
    "projects",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(NAME_LENGTH), nullable=False, unique=True),
    Column("description", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("project_id", BigId, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("state", String(16), nullable=False),
    Column("config", Json, nullable=False),
    Column("summary", Json, nullable=False),
    Column("tags", Json, nullable=False),
    Column("properties", Json, nullable=False),
    Column("notes", Text, nullable=False),
    Column("group_name", String(NAME_LENGTH), nullable=True),
    Column("job_type", String(NAME_LENGTH), nullable=True),
    Column("host", String(NAME_LENGTH), nullable=True),
    Column("metadata", Json, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("ended_at", Float, nullable=True),
    Column("heartbeat_at", Float, nullable=True),
    Column("exit_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("last_step", BigInteger, nullable=True),
    Index("ix_runs_project_created", "project_id", "created_at"),
)

series = Table(
    "series",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(KEY_LENGTH), nullable=False),
    Column("summary_mode", String(8), nullable=False),
    Column("stats", Json, nullable=False),
    Column("open_chunks", Integer, nullable=False),
    UniqueConstraint("run_id", "key", name="uq_series_run_key"),
)

chunks = Table(
    "chunks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("series_id", BigId, ForeignKey("series.id", ondelete="CASCADE"), nullable=False),
    Column("npoints", Integer, nullable=False),
    Column("step_min", BigInteger, nullable=False),
    Column("step_max", BigInteger, nullable=False),
    Column("steps", LargeBinary, nullable=False),
    Column("times", LargeBinary, nullable=False),
    Column("vals", LargeBinary, nullable=False),
    Index("ix_chunks_series_steps", "series_id", "step_min"),
)

writers = Table(
    "writers",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("writer_id", String(64), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("rank", Integer, nullable=True),
    Column("host", String(NAME_LENGTH), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)


def apply(conn: Connection) -> None:
    metadata.create_all(conn, checkfirst=True)
