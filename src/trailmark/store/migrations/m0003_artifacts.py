"""0003_artifacts: blobs, artifacts, run files, the model registry and webhooks.

What each table holds is told in :mod:`trailmark.store.schema_artifacts`; these are the
tables as that module first declared them.
"""

from __future__ import annotations

from sqlalchemy import Connection

from trailmark.store.migrations.ddl import execute_script

SCRIPT = """
CREATE TABLE IF NOT EXISTS artifacts (
    id {serial} NOT NULL,
    project_id {bigid} NOT NULL,
    name VARCHAR(128) NOT NULL,
    type VARCHAR(64) NOT NULL,
    description TEXT NOT NULL,
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_artifacts_project_name UNIQUE (project_id, name),
    FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS blobs (
    digest VARCHAR(64) NOT NULL,
    size BIGINT NOT NULL,
    created_at FLOAT NOT NULL,
    touched_at FLOAT NOT NULL,
    PRIMARY KEY (digest)
);
CREATE TABLE IF NOT EXISTS manifests (
    id {serial} NOT NULL,
    digest VARCHAR(64) NOT NULL,
    file_count INTEGER NOT NULL,
    size BIGINT NOT NULL,
    created_at FLOAT NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (digest)
);
CREATE TABLE IF NOT EXISTS registered_models (
    id {serial} NOT NULL,
    name VARCHAR(128) NOT NULL,
    description TEXT NOT NULL,
    tags {json} NOT NULL,
    created_by VARCHAR(256) NOT NULL,
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (name)
);
CREATE TABLE IF NOT EXISTS run_files (
    run_id VARCHAR(64) NOT NULL,
    path VARCHAR(1024) NOT NULL,
    size BIGINT NOT NULL,
    digest VARCHAR(64) NOT NULL,
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    PRIMARY KEY (run_id, path),
    FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_run_files_digest ON run_files (digest);
CREATE TABLE IF NOT EXISTS upload_sessions (
    id VARCHAR(32) NOT NULL,
    project_id {bigid} NOT NULL,
    digest VARCHAR(64) NOT NULL,
    size BIGINT NOT NULL,
    received BIGINT NOT NULL,
    parts {json} NOT NULL,
    handle VARCHAR(1024) NOT NULL,
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS webhooks (
    id {serial} NOT NULL,
    url TEXT NOT NULL,
    secret VARCHAR(256) NOT NULL,
    events {json} NOT NULL,
    model VARCHAR(128),
    description TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_by VARCHAR(256) NOT NULL,
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    PRIMARY KEY (id)
);
CREATE TABLE IF NOT EXISTS artifact_versions (
    id {serial} NOT NULL,
    artifact_id {bigid} NOT NULL,
    version INTEGER NOT NULL,
    manifest_id {bigid} NOT NULL,
    digest VARCHAR(64) NOT NULL,
    size BIGINT NOT NULL,
    file_count INTEGER NOT NULL,
    metadata {json} NOT NULL,
    description TEXT NOT NULL,
    run_id VARCHAR(64),
    created_by VARCHAR(256) NOT NULL,
    created_at FLOAT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_artifact_versions_number UNIQUE (artifact_id, version),
    FOREIGN KEY(artifact_id) REFERENCES artifacts (id) ON DELETE CASCADE,
    FOREIGN KEY(manifest_id) REFERENCES manifests (id),
    FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS ix_artifact_versions_manifest ON artifact_versions (manifest_id);
CREATE INDEX IF NOT EXISTS ix_artifact_versions_run ON artifact_versions (run_id);
CREATE TABLE IF NOT EXISTS manifest_entries (
    manifest_id {bigid} NOT NULL,
    path VARCHAR(1024) NOT NULL,
    size BIGINT NOT NULL,
    digest VARCHAR(64),
    ref TEXT,
    etag VARCHAR(256),
    PRIMARY KEY (manifest_id, path),
    FOREIGN KEY(manifest_id) REFERENCES manifests (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_manifest_entries_digest ON manifest_entries (digest);
CREATE TABLE IF NOT EXISTS model_events (
    id {serial} NOT NULL,
    model_id {bigid} NOT NULL,
    version INTEGER,
    kind VARCHAR(32) NOT NULL,
    data {json} NOT NULL,
    user_name VARCHAR(256) NOT NULL,
    created_at FLOAT NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(model_id) REFERENCES registered_models (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_model_events_model ON model_events (model_id, id);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id {serial} NOT NULL,
    webhook_id {bigid} NOT NULL,
    event VARCHAR(32) NOT NULL,
    payload TEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at FLOAT NOT NULL,
    locked_until FLOAT,
    last_status INTEGER,
    last_error TEXT,
    log {json} NOT NULL,
    created_at FLOAT NOT NULL,
    finished_at FLOAT,
    PRIMARY KEY (id),
    FOREIGN KEY(webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE TABLE IF NOT EXISTS artifact_aliases (
    artifact_id {bigid} NOT NULL,
    alias VARCHAR(64) NOT NULL,
    version_id {bigid} NOT NULL,
    updated_at FLOAT NOT NULL,
    PRIMARY KEY (artifact_id, alias),
    FOREIGN KEY(artifact_id) REFERENCES artifacts (id) ON DELETE CASCADE,
    FOREIGN KEY(version_id) REFERENCES artifact_versions (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_artifact_aliases_version ON artifact_aliases (version_id);
CREATE TABLE IF NOT EXISTS artifact_usage (
    run_id VARCHAR(64) NOT NULL,
    version_id {bigid} NOT NULL,
    created_at FLOAT NOT NULL,
    PRIMARY KEY (run_id, version_id),
    FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE,
    FOREIGN KEY(version_id) REFERENCES artifact_versions (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_artifact_usage_version ON artifact_usage (version_id);
CREATE TABLE IF NOT EXISTS model_versions (
    id {serial} NOT NULL,
    model_id {bigid} NOT NULL,
    version INTEGER NOT NULL,
    stage VARCHAR(16) NOT NULL,
    description TEXT NOT NULL,
    tags {json} NOT NULL,
    manifest_id {bigid} NOT NULL,
    digest VARCHAR(64) NOT NULL,
    size BIGINT NOT NULL,
    file_count INTEGER NOT NULL,
    source VARCHAR(1024) NOT NULL,
    source_project VARCHAR(256),
    source_run_id VARCHAR(64),
    artifact_version_id {bigid},
    created_by VARCHAR(256) NOT NULL,
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_model_versions_number UNIQUE (model_id, version),
    FOREIGN KEY(model_id) REFERENCES registered_models (id) ON DELETE CASCADE,
    FOREIGN KEY(manifest_id) REFERENCES manifests (id),
    FOREIGN KEY(artifact_version_id) REFERENCES artifact_versions (id) ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS ix_model_versions_artifact ON model_versions (artifact_version_id);
CREATE INDEX IF NOT EXISTS ix_model_versions_manifest ON model_versions (manifest_id);
CREATE INDEX IF NOT EXISTS ix_model_versions_run ON model_versions (source_run_id);
CREATE TABLE IF NOT EXISTS model_aliases (
    model_id {bigid} NOT NULL,
    alias VARCHAR(64) NOT NULL,
    version_id {bigid} NOT NULL,
    updated_by VARCHAR(256) NOT NULL,
    updated_at FLOAT NOT NULL,
    PRIMARY KEY (model_id, alias),
    FOREIGN KEY(model_id) REFERENCES registered_models (id) ON DELETE CASCADE,
    FOREIGN KEY(version_id) REFERENCES model_versions (id) ON DELETE CASCADE
);
"""


def apply(conn: Connection) -> None:
    execute_script(conn, SCRIPT)
