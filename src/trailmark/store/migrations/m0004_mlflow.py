"""0004_mlflow: soft delete of projects and runs, experiment tags, MLflow 3 logged models.

``deleted_at`` is MLflow's lifecycle stage (deleted runs are hidden from listings),
``projects.properties`` the experiment tags; ``logged_models`` are what
``mlflow.<flavor>.log_model`` creates (their files are blobs, listed in ``files``).
"""

from __future__ import annotations

from sqlalchemy import Connection

from trailmark.store.migrations.ddl import add_column_if_missing, execute_script

SCRIPT = """
CREATE TABLE IF NOT EXISTS logged_models (
    id VARCHAR(64) NOT NULL,
    project_id {bigid} NOT NULL,
    run_id VARCHAR(64),
    name VARCHAR(256) NOT NULL,
    status VARCHAR(32) NOT NULL,
    model_type VARCHAR(256),
    tags {json} NOT NULL,
    params {json} NOT NULL,
    files {json} NOT NULL,
    artifact_ref VARCHAR(512),
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    deleted_at FLOAT,
    PRIMARY KEY (id),
    FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_logged_models_project_created ON logged_models (project_id, created_at);
"""


def apply(conn: Connection) -> None:
    add_column_if_missing(conn, "projects", "deleted_at", "FLOAT")
    add_column_if_missing(conn, "projects", "properties", "{json}")
    add_column_if_missing(conn, "runs", "deleted_at", "FLOAT")
    execute_script(conn, SCRIPT)
