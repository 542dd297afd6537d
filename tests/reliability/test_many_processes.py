"""Crowds: 64 training processes writing at once (SQLite through the local ingest worker, and
a PostgreSQL-backed server), and 16 servers starting at once on one empty database."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

import trailmark as tm
from tests.reliability.helpers import Server, postgres_problems, sqlite_problems, workload
from trailmark.store.migrations import MIGRATIONS

PROCESSES = 64
RUNS = 16  # four writers per run
POINTS = 300
SERVERS = 16


@pytest.mark.slow
def test_64_processes_write_at_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    server: Server | None = None
    if backend == "postgres":
        server = Server(tmp_path / "server", db=request.getfixturevalue("postgres_url"))
        server.start()
    data_dir = tmp_path / "data"
    result_file = tmp_path / "result.json"
    try:
        proc = workload(
            "many",
            server.url if server else "",
            data_dir,
            PROCESSES,
            RUNS,
            POINTS,
            result_file,
        )
        _out, err = proc.communicate(timeout=400)
        assert proc.returncode == 0, err
        result = json.loads(result_file.read_text())
        assert result["exit_codes"] == [0] * PROCESSES, err
        assert set(result["remaining"].values()) == {0}, result["remaining"]

        with tm.Api(server.url) if server else tm.Api(dir=data_dir) as api:
            runs = api.runs("many")
            assert len(runs) == RUNS
            for index in range(PROCESSES):
                run = api.run(f"many/many-{index % RUNS}")
                key = f"p{index}/x"
                rows = run.history(keys=[key])
                assert [r["_step"] for r in rows] == list(range(POINTS)), key
                assert all(r[key] == r["_step"] for r in rows)
    finally:
        if server:
            server.stop()
    if server:
        assert server.db and postgres_problems(server.db) == []
    else:
        assert sqlite_problems(data_dir / "trailmark.db") == []
    print(f"\n{PROCESSES} processes x {POINTS} points on {backend}: {result['seconds']:.1f} s")


@pytest.mark.slow
def test_16_servers_start_at_once_on_an_empty_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    data_dir = tmp_path / "shared"
    servers = [Server(data_dir, db=db) for _ in range(SERVERS)]
    try:
        for server in servers:
            server.spawn()
        for server in servers:
            server.wait_healthy(120)
        for i, server in enumerate(servers):
            envelope = {"run": f"r{i}", "project": "crowd", "writer": "w1"}
            records = [{"t": "m", "q": 1, "s": 0, "w": 1.0, "d": {"x": float(i)}}]
            answer = httpx.post(
                f"{server.url}/api/v1/ingest",
                json={"envelope": envelope, "records": records},
                timeout=60,
            )
            assert answer.status_code == 200, answer.text + server.log_path.read_text()[-5000:]
    finally:
        for server in servers:
            server.stop()
    logs = "".join(server.log_path.read_text() for server in servers)
    assert "Traceback" not in logs and "ERROR" not in logs, logs[-3000:]
    engine = create_engine(db or f"sqlite:///{data_dir / 'trailmark.db'}")
    try:
        with engine.connect() as conn:
            applied = conn.execute(text("SELECT name FROM trailmark_migrations")).scalars().all()
            runs = conn.execute(text("SELECT COUNT(*) FROM runs")).scalar_one()
    finally:
        engine.dispose()
    assert sorted(applied) == sorted(name for name, _ in MIGRATIONS), "each exactly once"
    assert runs == SERVERS
