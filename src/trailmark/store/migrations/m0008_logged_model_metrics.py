"""0008_logged_model_metrics: metrics logged with a ``model_id`` (MLflow 3's
``log_metric(..., model_id=...)``) are kept for the logged model too, with the dataset they
were measured on, as MLflow's ``logged_model_metrics`` keeps them (one row per point)."""

from __future__ import annotations

from sqlalchemy import Connection

from trailmark.store.migrations.ddl import execute_script

SCRIPT = """
CREATE TABLE IF NOT EXISTS logged_model_metrics (
    model_id VARCHAR(64) NOT NULL,
    "key" VARCHAR(256) NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    step BIGINT NOT NULL,
    run_id VARCHAR(64) NOT NULL,
    value FLOAT,
    dataset_name VARCHAR(256),
    dataset_digest VARCHAR(256),
    PRIMARY KEY (model_id, "key", timestamp_ms, step, run_id),
    FOREIGN KEY(model_id) REFERENCES logged_models (id) ON DELETE CASCADE
);
"""


def apply(conn: Connection) -> None:
    execute_script(conn, SCRIPT)
