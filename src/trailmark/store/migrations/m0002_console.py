"""0002_console: console lines of runs, and bulky run metadata kept beside the runs row.

``console_lines`` are numbered per run in the order they were ingested; ``run_metadata``
holds the uncommitted diff and the package list, out of the runs row that every ingest
batch rewrites.
"""

from __future__ import annotations

from sqlalchemy import Connection

from trailmark.store.migrations.ddl import execute_script

SCRIPT = """
CREATE TABLE IF NOT EXISTS console_lines (
    run_id VARCHAR(64) NOT NULL,
    n BIGINT NOT NULL,
    time FLOAT NOT NULL,
    stream VARCHAR(8) NOT NULL,
    rank INTEGER,
    text TEXT NOT NULL,
    PRIMARY KEY (run_id, n),
    FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS run_metadata (
    run_id VARCHAR(64) NOT NULL,
    path VARCHAR(256) NOT NULL,
    value {json},
    PRIMARY KEY (run_id, path),
    FOREIGN KEY(run_id) REFERENCES runs (id) ON DELETE CASCADE
);
"""


def apply(conn: Connection) -> None:
    execute_script(conn, SCRIPT)
