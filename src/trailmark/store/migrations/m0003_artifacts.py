"""0003_artifacts: blobs, artifacts, run files, the model registry and webhooks.

What each table holds is told in :mod:`trailmark.store.schema_artifacts`; these are the
tables as that module first declared them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from trailmark.store.migrations import m0001_initial as initial
from trailmark.store.migrations.frozen import NAME_LENGTH, PATH_LENGTH, BigId, Json

NAME = "0003_artifacts"

metadata = MetaData()

_PROJECT_ID = initial.projects.c.id
_RUN_ID = initial.runs.c.id

blobs = Table(
    "blobs",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("touched_at", Float, nullable=False),
)

upload_sessions = Table(
    "upload_sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("project_id", BigId, ForeignKey(_PROJECT_ID, ondelete="CASCADE"), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("received", BigInteger, nullable=False),
    Column("parts", Json, nullable=False),
    Column("handle", String(1024), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

manifests = Table(
    "manifests",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("file_count", Integer, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
)

manifest_entries = Table(
    "manifest_entries",
    metadata,
    Column("manifest_id", BigId, ForeignKey("manifests.id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(PATH_LENGTH), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("digest", String(64), nullable=True),
    Column("ref", Text, nullable=True),
    Column("etag", String(256), nullable=True),
    Index("ix_manifest_entries_digest", "digest"),
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("project_id", BigId, ForeignKey(_PROJECT_ID, ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("type", String(64), nullable=False),
    Column("description", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("project_id", "name", name="uq_artifacts_project_name"),
)

artifact_versions = Table(
    "artifact_versions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("artifact_id", BigId, ForeignKey("artifacts.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("manifest_id", BigId, ForeignKey("manifests.id"), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("file_count", Integer, nullable=False),
    Column("metadata", Json, nullable=False),
    Column("description", Text, nullable=False),
    Column("run_id", String(64), ForeignKey(_RUN_ID, ondelete="SET NULL"), nullable=True),
    Column("created_by", String(NAME_LENGTH), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("artifact_id", "version", name="uq_artifact_versions_number"),
    Index("ix_artifact_versions_run", "run_id"),
    Index("ix_artifact_versions_manifest", "manifest_id"),
)

artifact_aliases = Table(
    "artifact_aliases",
    metadata,
    Column("artifact_id", BigId, ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True),
    Column("alias", String(64), primary_key=True),
    Column(
        "version_id",
        BigId,
        ForeignKey("artifact_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("updated_at", Float, nullable=False),
    Index("ix_artifact_aliases_version", "version_id"),
)

artifact_usage = Table(
    "artifact_usage",
    metadata,
    Column("run_id", String(64), ForeignKey(_RUN_ID, ondelete="CASCADE"), primary_key=True),
    Column(
        "version_id",
        BigId,
        ForeignKey("artifact_versions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("created_at", Float, nullable=False),
    Index("ix_artifact_usage_version", "version_id"),
)

run_files = Table(
    "run_files",
    metadata,
    Column("run_id", String(64), ForeignKey(_RUN_ID, ondelete="CASCADE"), primary_key=True),
    Column("path", String(PATH_LENGTH), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_run_files_digest", "digest"),
)

registered_models = Table(
    "registered_models",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("description", Text, nullable=False),
    Column("tags", Json, nullable=False),
    Column("created_by", String(NAME_LENGTH), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "model_id", BigId, ForeignKey("registered_models.id", ondelete="CASCADE"), nullable=False
    ),
    Column("version", Integer, nullable=False),
    Column("stage", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("tags", Json, nullable=False),
    Column("manifest_id", BigId, ForeignKey("manifests.id"), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("file_count", Integer, nullable=False),
    Column("source", String(1024), nullable=False),
    Column("source_project", String(NAME_LENGTH), nullable=True),
    Column("source_run_id", String(64), nullable=True),
    Column(
        "artifact_version_id",
        BigId,
        ForeignKey("artifact_versions.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("created_by", String(NAME_LENGTH), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("model_id", "version", name="uq_model_versions_number"),
    Index("ix_model_versions_artifact", "artifact_version_id"),
    Index("ix_model_versions_run", "source_run_id"),
    Index("ix_model_versions_manifest", "manifest_id"),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column(
        "model_id", BigId, ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("alias", String(64), primary_key=True),
    Column(
        "version_id", BigId, ForeignKey("model_versions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("updated_by", String(NAME_LENGTH), nullable=False),
    Column("updated_at", Float, nullable=False),
)

model_events = Table(
    "model_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "model_id", BigId, ForeignKey("registered_models.id", ondelete="CASCADE"), nullable=False
    ),
    Column("version", Integer, nullable=True),
    Column("kind", String(32), nullable=False),
    Column("data", Json, nullable=False),
    Column("user_name", String(NAME_LENGTH), nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_model_events_model", "model_id", "id"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("secret", String(256), nullable=False),
    Column("events", Json, nullable=False),
    Column("model", String(128), nullable=True),
    Column("description", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_by", String(NAME_LENGTH), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("webhook_id", BigId, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("event", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Float, nullable=False),
    Column("locked_until", Float, nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("log", Json, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float, nullable=True),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_webhook", "webhook_id", "id"),
)


def apply(conn: Connection) -> None:
    metadata.create_all(conn, checkfirst=True)
