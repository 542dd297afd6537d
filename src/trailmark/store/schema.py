"""Table definitions: the current schema, used by every query.

Times are float seconds since the epoch (UTC). JSON columns use JSONB on PostgreSQL.
Non-finite floats inside JSON are written as the strings "NaN", "Infinity" and
"-Infinity" (the protobuf JSON convention), because neither database's JSON keeps them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
    event,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from trailmark.limits import MAX_KEY_LENGTH, MAX_NAME_LENGTH
from trailmark.store.nul import NulSafeText

metadata = MetaData()

Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only aliases INTEGER PRIMARY KEY to the rowid; BIGINT would not autoincrement.
BigId = BigInteger().with_variant(Integer(), "sqlite")

projects = Table(
    "projects",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(MAX_NAME_LENGTH), nullable=False, unique=True),
    Column("description", NulSafeText, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # 0004_mlflow: soft delete (MLflow's lifecycle stage) and MLflow experiment tags
    Column("deleted_at", Float, nullable=True),
    Column("properties", Json, nullable=True),
    # 0010_accounts: 'private' (members only; NULL means private) or 'internal'
    Column("visibility", String(16), nullable=True),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("project_id", BigId, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(MAX_NAME_LENGTH), nullable=False),
    Column("state", String(16), nullable=False),
    Column("config", Json, nullable=False),
    Column("summary", Json, nullable=False),
    Column("tags", Json, nullable=False),
    Column("properties", Json, nullable=False),
    Column("notes", NulSafeText, nullable=False, default=""),
    Column("group_name", String(MAX_NAME_LENGTH), nullable=True),
    Column("job_type", String(MAX_NAME_LENGTH), nullable=True),
    Column("host", String(MAX_NAME_LENGTH), nullable=True),
    Column("metadata", Json, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("ended_at", Float, nullable=True),
    Column("heartbeat_at", Float, nullable=True),
    Column("exit_code", Integer, nullable=True),
    Column("error", NulSafeText, nullable=True),
    Column("last_step", BigInteger, nullable=True),
    # 0004_mlflow: soft delete (MLflow's lifecycle stage); deleted runs are hidden from listings
    Column("deleted_at", Float, nullable=True),
    Index("ix_runs_project_created", "project_id", "created_at"),
)

series = Table(
    "series",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(MAX_KEY_LENGTH), nullable=False),
    Column("summary_mode", String(8), nullable=False, default="last"),
    # count, finite min/max/sum, last value/step/time; see trailmark.store.series_stats
    Column("stats", Json, nullable=False),
    Column("open_chunks", Integer, nullable=False, default=0),
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
    # the points a wide min/max bucketing can show (see trailmark.store.sketches); NULL if none
    Column("sketch", LargeBinary, nullable=True),
    Index("ix_chunks_series_steps", "series_id", "step_min"),
)


@event.listens_for(chunks, "after_create")
def _chunk_blobs_uncompressed(_table: Table, conn: Connection, **_kw: Any) -> None:
    """0006_chunk_blobs_uncompressed, declared here too so that a table made from this
    schema has it: PostgreSQL keeps chunk blobs out of line, uncompressed (our codec has)."""
    if conn.dialect.name == "postgresql":
        columns = ("steps", "times", "vals", "sketch")
        alter = ", ".join(f"ALTER COLUMN {c} SET STORAGE EXTERNAL" for c in columns)
        conn.execute(text(f"ALTER TABLE chunks {alter}"))


writers = Table(
    "writers",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("writer_id", String(64), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("rank", Integer, nullable=True),
    Column("host", String(MAX_NAME_LENGTH), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# 0004_mlflow: MLflow 3 "logged models" (what mlflow.<flavor>.log_model creates); MLflow
# uploads their files to "<experiment>/models/<id>/artifacts/..."; once ready, they also
# become a version of a Trailmark artifact of type "model" produced by the run.
logged_models = Table(
    "logged_models",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("project_id", BigId, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("run_id", String(64), nullable=True),
    Column("name", String(MAX_NAME_LENGTH), nullable=False),
    Column("status", String(32), nullable=False),
    Column("model_type", String(MAX_NAME_LENGTH), nullable=True),
    Column("tags", Json, nullable=False),
    Column("params", Json, nullable=False),
    # {path: {"size", "digest"}} of the files uploaded so far (contents are blobs)
    Column("files", Json, nullable=False),
    # the Trailmark artifact version made of those files once the model is ready
    Column("artifact_ref", String(512), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("deleted_at", Float, nullable=True),
    Index("ix_logged_models_project_created", "project_id", "created_at"),
)

# 0008_logged_model_metrics: metrics logged with a model_id (MLflow 3), the model's own copy
# of each point (the run keeps its own), with the dataset it was measured on.
logged_model_metrics = Table(
    "logged_model_metrics",
    metadata,
    Column(
        "model_id",
        String(64),
        ForeignKey("logged_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("timestamp_ms", BigInteger, primary_key=True),
    Column("step", BigInteger, primary_key=True),
    Column("run_id", String(64), primary_key=True),
    Column("value", Float, nullable=True),
    Column("dataset_name", String(MAX_NAME_LENGTH), nullable=True),
    Column("dataset_digest", String(MAX_NAME_LENGTH), nullable=True),
)

# 0002_console: console output of runs, numbered per run in the order it was ingested.
console_lines = Table(
    "console_lines",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("n", BigInteger, primary_key=True, autoincrement=False),
    Column("time", Float, nullable=False),
    Column("stream", String(8), nullable=False),
    Column("rank", Integer, nullable=True),
    Column("text", Text, nullable=False),
)

# 0002_console: bulky run metadata (the uncommitted diff, the package list), kept out of the
# runs row, which every ingest batch rewrites; merged back into metadata for one run.
run_metadata = Table(
    "run_metadata",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(MAX_KEY_LENGTH), primary_key=True),
    Column("value", Json, nullable=True),
)

# 0010_accounts: users, their API keys and sign-in sessions, teams, roles granted on projects
# and registered models, and the audit log (see trailmark.store.accounts).
users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(MAX_NAME_LENGTH), nullable=False, unique=True),
    Column("display_name", String(MAX_NAME_LENGTH), nullable=True),
    Column("email", String(MAX_NAME_LENGTH), nullable=True),
    # argon2id; NULL: no password (SSO only, or a service account that signs in with keys)
    Column("password_hash", String(256), nullable=True),
    Column("is_admin", Boolean, nullable=False),
    Column("is_service", Boolean, nullable=False),
    # "issuer|sub" of the OpenID Connect identity linked to the user
    Column("oidc_subject", String(1024), nullable=True, unique=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("disabled_at", Float, nullable=True),
    Column("last_sign_in_at", Float, nullable=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(MAX_NAME_LENGTH), nullable=False),
    Column("prefix", String(16), nullable=False),
    # sha256 hex of the key; the key itself is shown once and never stored
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("read_only", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=True),
    Column("last_used_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
    Index("ix_api_keys_user", "user_id"),
)

sessions = Table(
    "sessions",
    metadata,
    # sha256 hex of the cookie's token
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
    Column("client", String(128), nullable=True),
    Column("user_agent", String(512), nullable=True),
    Index("ix_sessions_user", "user_id"),
)

teams = Table(
    "teams",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(MAX_NAME_LENGTH), nullable=False, unique=True),
    Column("description", NulSafeText, nullable=False),
    Column("created_at", Float, nullable=False),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", BigId, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_team_members_user", "user_id"),
)

# a role on a project or registered model (resource_id: projects.id or registered_models.id)
# for a user or a team (principal_id: users.id or teams.id)
grants = Table(
    "grants",
    metadata,
    Column("resource_kind", String(16), primary_key=True),
    Column("resource_id", BigId, primary_key=True, autoincrement=False),
    Column("principal_kind", String(16), primary_key=True),
    Column("principal_id", BigId, primary_key=True, autoincrement=False),
    Column("role", String(16), nullable=False),
    Column("granted_by", String(MAX_NAME_LENGTH), nullable=False),
    Column("granted_at", Float, nullable=False),
    Index("ix_grants_principal", "principal_kind", "principal_id"),
)

# append-only: the store has no update or delete for it
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor", String(MAX_NAME_LENGTH), nullable=False),
    Column("actor_id", BigInteger, nullable=True),
    Column("action", String(64), nullable=False),
    Column("method", String(16), nullable=True),
    Column("route", String(512), nullable=True),
    Column("resource", String(512), nullable=True),
    Column("status", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("client", String(128), nullable=True),
    Column("detail", Json, nullable=False),
    Index("ix_audit_events_at", "at"),
    Index("ix_audit_events_actor_at", "actor", "at"),
    Index("ix_audit_events_action_at", "action", "at"),
)

migrations_table = Table(
    "trailmark_migrations",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("applied_at", Float, nullable=False),
)
