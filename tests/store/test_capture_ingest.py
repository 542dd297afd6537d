"""What captures send, in the store: other ranks' series, system metrics on their own axis,
metadata merged and bulky metadata kept aside, rank failures (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from trailmark.errors import InvalidInput, NotFound
from trailmark.store.ingest import Envelope, validate
from trailmark.store.store import Store

CREATED = 1_700_000_000.0
RANK0 = Envelope(run_id="job", project="proj", writer="w0", rank=0)


def rank(r: int) -> Envelope:
    return Envelope(run_id="job", project="proj", writer=f"w{r}", rank=r)


def run_record(q: int = 1, **fields: Any) -> dict[str, Any]:
    return {"t": "run", "q": q, "created": CREATED, "resume": True, **fields}


def metrics(q: int, step: int, **values: float) -> dict[str, Any]:
    return {"t": "m", "q": q, "s": step, "w": CREATED + step, "d": values}


def test_rank_zero_writes_the_run_series_and_other_ranks_their_own(store: Store) -> None:
    store.ingestor.ingest(
        RANK0, [run_record(name="job-1", metadata={"python": "3.11"}, host="node-a")]
    )
    store.ingestor.ingest(RANK0, [metrics(2, 0, loss=1.0), metrics(3, 1, loss=0.5)])
    store.ingestor.ingest(
        rank(3),
        [
            run_record(metadata={"pid": 33}, host="node-b"),
            {"t": "def", "q": 2, "k": "loss", "summary": "min"},
            metrics(3, 0, loss=9.0),
            metrics(4, 5, loss=8.0),
        ],
    )
    run = store.runs.get_run("proj", "job")
    assert run["name"] == "job-1" and run["host"] == "node-a"
    assert run["summary"] == {"loss": 0.5}, "other ranks stay out of the summary"
    assert run["last_step"] == 1, "and do not move the run's step"
    assert run["metadata"]["python"] == "3.11"
    assert run["metadata"]["ranks"]["3"] == {"pid": 33, "host": "node-b", "state": "running"}
    keys = {m["key"]: m for m in store.metrics.keys("job")}
    assert set(keys) == {"loss", "loss@rank3"} and keys["loss@rank3"]["summary"] == "min"
    assert store.metrics.history("job") == [
        {"_step": 0, "_timestamp": CREATED, "loss": 1.0},
        {"_step": 1, "_timestamp": CREATED + 1, "loss": 0.5},
    ]
    assert store.metrics.history("job", rank=3) == [
        {"_step": 0, "_timestamp": CREATED, "loss": 9.0},
        {"_step": 5, "_timestamp": CREATED + 5, "loss": 8.0},
    ]
    assert store.metrics.history("job", keys=["loss"], rank=3)[1]["loss"] == 8.0
    assert store.metrics.history("job", keys=["loss@rank3"])[0]["loss@rank3"] == 9.0
    with pytest.raises(NotFound, match="from rank 2"):
        store.metrics.history("job", keys=["loss"], rank=2)


def test_another_rank_may_create_the_run(store: Store) -> None:
    store.ingestor.ingest(rank(1), [run_record(metadata={"pid": 1}, host="node-b")])
    store.ingestor.ingest(RANK0, [run_record(name="named", metadata={"pid": 0}, host="node-a")])
    run = store.runs.get_run("proj", "job")
    assert (run["name"], run["host"], run["metadata"]["pid"]) == ("named", "node-a", 0)


def test_a_failed_rank_fails_the_run(store: Store) -> None:
    store.ingestor.ingest(RANK0, [run_record()])
    store.ingestor.ingest(rank(1), [run_record()])
    store.ingestor.ingest(
        rank(1), [{"t": "fin", "q": 2, "state": "crashed", "exit_code": 137, "w": CREATED + 9}]
    )
    store.ingestor.ingest(RANK0, [{"t": "fin", "q": 2, "state": "finished", "exit_code": 0}])
    run = store.runs.get_run("proj", "job")
    assert run["state"] == "crashed" and run["error"].startswith("rank 1:")
    assert run["metadata"]["ranks"]["1"]["state"] == "crashed"
    # Resuming the job starts afresh; ranks report again.
    store.ingestor.ingest(Envelope("job", "proj", "w5", 0), [run_record()])
    store.ingestor.ingest(
        Envelope("job", "proj", "w5", 0), [{"t": "fin", "q": 2, "state": "finished"}]
    )
    assert store.runs.get_run("proj", "job")["state"] == "finished"


def test_system_metrics_are_on_their_own_axis(store: Store) -> None:
    store.ingestor.ingest(
        RANK0,
        [
            run_record(),
            metrics(2, 10, loss=1.0),
            {"t": "sys", "q": 3, "w": CREATED + 1.5, "d": {"system/cpu.util": 50.0}},
            {"t": "sys", "q": 4, "w": CREATED + 2.5, "d": {"system/cpu.util": 70.0}},
        ],
    )
    store.ingestor.ingest(
        rank(4), [{"t": "sys", "q": 1, "w": CREATED + 2.0, "d": {"system/gpu.0.util": 99.0}}]
    )
    run = store.runs.get_run("proj", "job")
    assert run["last_step"] == 10 and set(run["summary"]) == {"loss"}
    points = store.metrics.points("job", "system/cpu.util")
    assert points.steps.tolist() == [1500, 2500]  # milliseconds since the run was created
    assert points.times.tolist() == [CREATED + 1.5, CREATED + 2.5]
    assert store.metrics.points("job", "system/gpu.0.util@rank4").steps.tolist() == [2000]
    assert [r.keys() - {"_step", "_timestamp"} for r in store.metrics.history("job")] == [{"loss"}]


def test_metadata_records_merge_and_bulky_entries_stay_beside_the_run(store: Store) -> None:
    diff = "+" * 100_000
    store.ingestor.ingest(
        RANK0,
        [
            run_record(metadata={"python": "3.11"}),
            {
                "t": "meta",
                "q": 2,
                "d": {"git": {"commit": "abc", "dirty": True}, "program": "/t.py"},
                "large": {"git.diff": diff, "environment.packages": {"numpy": "2.0"}},
            },
            {"t": "meta", "q": 3, "d": {"host": {"hostname": "n1"}}},
        ],
    )
    store.ingestor.ingest(rank(2), [{"t": "meta", "q": 1, "d": {"host": {"hostname": "n2"}}}])
    full = store.runs.get_run("proj", "job")["metadata"]
    assert full["git"] == {"commit": "abc", "dirty": True, "diff": diff}
    assert full["environment"] == {"packages": {"numpy": "2.0"}}
    assert full["host"] == {"hostname": "n1"} and full["program"] == "/t.py"
    assert full["ranks"]["2"]["host"] == {"hostname": "n2"}
    listed = store.runs.search_runs("proj")[0][0]["metadata"]
    assert listed["git"] == {"commit": "abc", "dirty": True}, "run lists leave bulky entries out"
    assert "environment" not in listed


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"t": "sys", "q": 1, "w": 1.0, "d": {"cpu": 1.0}}, "must start with 'system/'"),
        ({"t": "sys", "q": 1, "d": {"system/cpu": 1.0}}, "wall time"),
        ({"t": "meta", "q": 1, "d": []}, "must be an object"),
        ({"t": "meta", "q": 1, "d": {}, "large": {"a.b.c": 1}}, "'section.key'"),
        ({"t": "run", "q": 1, "fork_from": {"run": "x"}}, "step"),
        ({"t": "run", "q": 1, "fork_from": {"run": "bad id", "step": 1}}, "run id"),
    ],
)
def test_malformed_capture_records_are_refused(record: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        validate([record])
