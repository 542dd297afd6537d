"""Every row of the table, in print order, with its target."""

from __future__ import annotations

from benchmarks.core import MB, Row

ROWS: tuple[Row, ...] = (
    Row("import", 'python -c "import trailmark" (subprocess wall time)', "s", 0.100),
    Row("init", "init() to ready-to-log, new data dir", "s", 0.020),
    Row("log_1", 'run.log({"loss": x}) per call, durable on return', "s", 5e-6),
    Row("log_10", "run.log(dict of 10 scalars) per call", "s", 20e-6),
    Row("local_10x10k", "10 metrics x 10,000 steps, init to finish, local dir", "s", 0.2),
    Row("local_10x10k_cold", "  the same, first run: no ingest service running yet", "s", 0.25),
    Row("local_10x10k_cold_read", "  the same, init until readable through Api", "s", 1.0),
    Row("server_10x10k", "10 metrics x 10,000 steps, init to finish, to a server", "s", 0.4),
    Row("big_run_time", "10 metrics x 1,000,000 steps, one run, local: wall", "s", 15.0),
    Row("big_run_rss", "10 metrics x 1,000,000 steps: peak RSS growth", "B", 100 * MB),
    Row("history_10k", "history of one metric, 10,000 points, Api run.history", "s", 0.003),
    Row("buckets_store", "1M-point series, min/max for 1,000 px (store)", "s", 0.030),
    Row("zoom_store", "1M-point series, zoom to 10,000 points (store)", "s", 0.010),
    Row("buckets_rest", "1M-point series, GET series?buckets=1000 (REST)", "s", 0.030),
    Row("zoom_rest", "1M-point series, GET series 10,000-step range (REST)", "s", 0.010),
    Row("search_10k", "search 10,000 runs: filter + sort, first page of 100", "s", 0.050),
    Row("wide_step", "10,000 distinct keys in one step, logged + shipped, per step", "s", 0.050),
    Row("bytes_per_point", "storage per float point (SQLite file after VACUUM)", "B", 20.0),
    Row(
        "load_sqlite_rate",
        "N processes logging at once to one server (SQLite)",
        "pts/s",
        300_000.0,
        "higher",
    ),
    Row("load_sqlite_p99", "  p99 ingest request latency (SQLite)", "s", 0.250),
    Row("load_sqlite_errors", "  errors (SQLite)", "count", 0.0),
    Row(
        "load_pg_rate",
        "N processes logging at once to one server (PostgreSQL)",
        "pts/s",
        300_000.0,
        "higher",
    ),
    Row("load_pg_p99", "  p99 ingest request latency (PostgreSQL)", "s", 0.250),
    Row("load_pg_errors", "  errors (PostgreSQL)", "count", 0.0),
    Row(
        "load_auth_rate",
        "N processes logging at once, accounts on: an API key per request (SQLite)",
        "pts/s",
        300_000.0,
        "higher",
    ),
    Row("load_auth_ratio", "  rate with accounts on / off (within 10%)", "x", 0.9, "higher"),
    Row(
        "load_auth_cpu_ratio",
        "  server CPU per point, accounts off / on (within 10%)",
        "x",
        0.9,
        "higher",
    ),
    Row("load_auth_errors", "  errors (accounts on)", "count", 0.0),
    Row("server_start", "server: start to /health answering", "s", 1.5),
    Row("server_rss_idle", "server: resident memory, idle", "B", 150 * MB),
    Row("server_rss_loaded", "server: resident memory after the server rows", "B", 300 * MB),
)

BY_NAME: dict[str, Row] = {row.name: row for row in ROWS}
