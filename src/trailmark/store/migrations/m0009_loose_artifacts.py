"""0009_loose_artifacts: files put through MLflow's artifact proxy under a path that names
no run or logged model (``mlflow-artifacts:/any/path``), keyed by the normalised path; the
contents are blobs like every other file's."""

from __future__ import annotations

from sqlalchemy import Connection

from trailmark.store.migrations.ddl import execute_script

SCRIPT = """
CREATE TABLE IF NOT EXISTS loose_artifacts (
    path VARCHAR(1024) NOT NULL,
    size BIGINT NOT NULL,
    digest VARCHAR(64) NOT NULL,
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    PRIMARY KEY (path)
);
CREATE INDEX IF NOT EXISTS ix_loose_artifacts_digest ON loose_artifacts (digest);
"""


def apply(conn: Connection) -> None:
    execute_script(conn, SCRIPT)
