"""A log() call with more metrics than one record may hold is written as several records of
the same step, so the server never refuses what the SDK sends (issue 16, item 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

import trailmark as tm
from trailmark.limits import MAX_METRICS_PER_RECORD


def metric_records(run: tm.Run) -> list[dict[str, Any]]:
    lines = Path(run.spool_path).read_bytes().splitlines()
    return [r for r in map(orjson.loads, lines[1:]) if r["t"] == "m"]


def test_a_wide_log_call_becomes_records_that_fit(tmp_path: Path) -> None:
    run = tm.init(project="p", mode="offline", dir=tmp_path)
    wide = {f"layer{i}/grad_norm": float(i) for i in range(2 * MAX_METRICS_PER_RECORD + 7)}
    run.log({"loss": 0.5})
    run.log(wide)
    run.log({"loss": 0.25})
    run.finish()
    records = metric_records(run)
    assert [len(r["d"]) for r in records] == [
        1,
        MAX_METRICS_PER_RECORD,
        MAX_METRICS_PER_RECORD,
        7,
        1,
    ]
    assert [r["s"] for r in records] == [0, 1, 1, 1, 2]
    seqs = [r["q"] for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    merged: dict[str, float] = {}
    for record in records[1:4]:
        merged.update(record["d"])
    assert merged == wide
