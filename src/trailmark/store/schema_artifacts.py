"""Tables of artifacts, run files, the model registry and webhooks (on :data:`schema.metadata`).

- ``blobs``: every content stored in the blob store, by sha256; ``touched_at`` protects a
  blob from garbage collection while a client is about to reference it.
- ``manifests`` / ``manifest_entries``: content-addressed file lists, shared by artifact
  versions and model versions (a model version keeps its files when its run's project is
  deleted).
- ``artifacts`` → ``artifact_versions`` (v0, v1, ... per name in a project) with
  ``artifact_aliases`` (one alias → one version: the primary key) and ``artifact_usage``
  (run used version); the producing run is ``artifact_versions.run_id``.
- ``run_files``: plain files saved by a run; ``loose_artifacts``: files put through
  MLflow's artifact proxy under a path of no run or logged model.
- ``registered_models`` (global names) → ``model_versions`` (1, 2, ...), ``model_aliases``,
  ``model_events`` (who changed what, when).
- ``webhooks`` and ``webhook_deliveries`` (the outbox the delivery worker drains).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from trailmark.limits import MAX_NAME_LENGTH
from trailmark.manifest import MAX_PATH_CHARS
from trailmark.store.nul import NulSafeText
from trailmark.store.schema import BigId, Json, metadata

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
    Column("project_id", BigId, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
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
    Column(
        "manifest_id",
        BigId,
        ForeignKey("manifests.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("path", String(MAX_PATH_CHARS), primary_key=True),
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
    Column("project_id", BigId, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("type", String(64), nullable=False),
    Column("description", NulSafeText, nullable=False, default=""),
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
    Column("description", NulSafeText, nullable=False, default=""),
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
    Column("created_by", String(MAX_NAME_LENGTH), nullable=False),
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
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
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
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(MAX_PATH_CHARS), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_run_files_digest", "digest"),
)

# 0009_loose_artifacts: files put through MLflow's artifact proxy under a path that names no
# run or logged model (MLflow's proxy takes any relative path); the normalised path is the
# key, the contents a blob.
loose_artifacts = Table(
    "loose_artifacts",
    metadata,
    Column("path", String(MAX_PATH_CHARS), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_loose_artifacts_digest", "digest"),
)

registered_models = Table(
    "registered_models",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("description", NulSafeText, nullable=False, default=""),
    Column("tags", Json, nullable=False),
    Column("created_by", String(MAX_NAME_LENGTH), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # 0010_accounts: 'private' (members only; NULL means private) or 'internal'
    Column("visibility", String(16), nullable=True),
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
    Column("description", NulSafeText, nullable=False, default=""),
    Column("tags", Json, nullable=False),
    Column("manifest_id", BigId, ForeignKey("manifests.id"), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("file_count", Integer, nullable=False),
    Column("source", String(1024), nullable=False),
    Column("source_project", String(MAX_NAME_LENGTH), nullable=True),
    Column("source_run_id", String(64), nullable=True),
    Column(
        "artifact_version_id",
        BigId,
        ForeignKey("artifact_versions.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("created_by", String(MAX_NAME_LENGTH), nullable=False),
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
    Column("updated_by", String(MAX_NAME_LENGTH), nullable=False),
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
    Column("user_name", String(MAX_NAME_LENGTH), nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_model_events_model", "model_id", "id"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    # sealed (see store.secret_box); 0007 made it TEXT on PostgreSQL, SQLite ignores lengths
    Column("secret", String(256).with_variant(Text(), "postgresql"), nullable=False),
    Column("events", Json, nullable=False),
    Column("model", String(128), nullable=True),
    Column("description", NulSafeText, nullable=False, default=""),
    Column("active", Boolean, nullable=False),
    Column("created_by", String(MAX_NAME_LENGTH), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # 0007_webhook_secrets_sealed: NULL on a row whose secret is still in clear
    Column("secret_fingerprint", String(16), nullable=True),
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

ARTIFACT_TABLES = [
    blobs,
    upload_sessions,
    manifests,
    manifest_entries,
    artifacts,
    artifact_versions,
    artifact_aliases,
    artifact_usage,
    run_files,
    registered_models,
    model_versions,
    model_aliases,
    model_events,
    webhooks,
    webhook_deliveries,
]
