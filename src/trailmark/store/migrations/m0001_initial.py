"""0001_initial: projects, runs, metric series and their chunks, writers (the tracking core).

The tables as the tracking core first shipped them; what later migrations add is theirs.
"""

from __future__ import annotations

from sqlalchemy import Connection

from trailmark.store.migrations.ddl import execute_script

SCRIPT = """
CREATE TABLE IF NOT EXISTS projects (
    id {serial} NOT NULL,
    name VARCHAR(256) NOT NULL,
    description TEXT NOT NULL,
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (name)
);
CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR(64) NOT NULL,
    project_id {bigid} NOT NULL,
    name VARCHAR(256) NOT NULL,
    state VARCHAR(16) NOT NULL,
    config {json} NOT NULL,
    summary {json} NOT NULL,
    tags {json} NOT NULL,
    properties {json} NOT NULL,
    notes TEXT NOT NULL,
    group_name VARCHAR(256),
    job_type VARCHAR(256),
    host VARCHAR(256),
    metadata {json} NOT NULL,
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    ended_at FLOAT,
    heartbeat_at FLOAT,
    exit_code INTEGER,
    error TEXT,
    last_step BIGINT,
    PRIMARY KEY (id),
    FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_runs_project_created ON runs (project_id, created_at);
CREATE TABLE IF NOT EXISTS series (
    id {serial} NOT NULL,
    run_id VARCHAR(64) NOT NULL,
    "key" VARCHAR(256) NOT NULL,
    summary_mode VARCHAR(8) NOT NULL,
    stats {json} NOT NULL,
    open_chunks INTEGER NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_series_run_key UNIQUE (run_id, "key"),
    FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS writers (
    run_id VARCHAR(64) NOT NULL,
    writer_id VARCHAR(64) NOT NULL,
    last_seq BIGINT NOT NULL,
    rank INTEGER,
    host VARCHAR(256),
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    PRIMARY KEY (run_id, writer_id),
    FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS chunks (
    id {serial} NOT NULL,
    series_id {bigid} NOT NULL,
    npoints INTEGER NOT NULL,
    step_min BIGINT NOT NULL,
    step_max BIGINT NOT NULL,
    steps {blob} NOT NULL,
    times {blob} NOT NULL,
    vals {blob} NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(series_id) REFERENCES series (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_chunks_series_steps ON chunks (series_id, step_min);
"""


def apply(conn: Connection) -> None:
    execute_script(conn, SCRIPT)
