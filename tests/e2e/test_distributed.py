"""Distributed training: four torch.distributed processes (gloo, CPU, started by torchrun)
write into one run; rank 0's metrics are the run's series, the others' are kept per rank.
Or each rank has a run of its own, grouped."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import trailmark as tm
from tests.support import client_env, free_port

STEPS = 20
WORLD = 4

SCRIPT = textwrap.dedent(
    f"""
    import sys
    import torch
    import torch.distributed as dist
    import trailmark as tm

    dist.init_process_group("gloo")
    rank = dist.get_rank()
    run = tm.init(project="ddp", id=sys.argv[1], resume="allow", system_interval=1)
    for step in range({STEPS}):
        grad = torch.tensor([float(rank + step)])
        dist.all_reduce(grad)
        run.log({{"loss": 1.0 / (step + 1) + rank, "grad_sum": grad.item()}})
    print(f"rank {{rank}} done", flush=True)
    dist.barrier()
    run.finish()
    dist.destroy_process_group()
    """
)


def test_four_ranks_write_one_run(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    script = tmp_path / "train_ddp.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            f"--nproc-per-node={WORLD}",
            "--master-addr=127.0.0.1",
            f"--master-port={free_port()}",
            str(script),
            "ddp-job-1",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=client_env(TRAILMARK_DIR=str(tmp_path / "data"), OMP_NUM_THREADS="1"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    grad_sums = [float(sum(r + step for r in range(WORLD))) for step in range(STEPS)]

    with tm.Api(dir=tmp_path / "data") as api:
        run = api.run("ddp/ddp-job-1")
        assert run.state == "finished"
        assert run.keys() == ["grad_sum", "loss"]
        rows = run.history()
        assert [r["_step"] for r in rows] == list(range(STEPS))
        assert [r["loss"] for r in rows] == [1.0 / (s + 1) for s in range(STEPS)]
        assert [r["grad_sum"] for r in rows] == grad_sums
        assert set(run.summary) == {"grad_sum", "loss"}
        for rank in range(1, WORLD):
            assert run.keys(rank=rank) == ["grad_sum", "loss"]
            mine = run.history(keys=["loss"], rank=rank)
            assert [r["_step"] for r in mine] == list(range(STEPS))
            assert [r["loss"] for r in mine] == [1.0 / (s + 1) + rank for s in range(STEPS)]
        meta = run.metadata
        assert meta["distributed"] == {"rank": 0, "local_rank": 0, "world_size": WORLD}
        assert set(meta["ranks"]) == {"1", "2", "3"}
        for entry in meta["ranks"].values():
            assert entry["state"] == "finished" and entry["host"]
        assert "packages" in meta["environment"]
        lines = run.logs()
        assert sorted((x["rank"], x["text"]) for x in lines if "done" in x["text"]) == [
            (r, f"rank {r} done") for r in range(WORLD)
        ]
        assert [x["text"] for x in run.logs(rank=2)] == ["rank 2 done"]
        # System metrics: each process its own, the node once (local rank 0).
        keys = {m["key"] for m in api.backend.metric_keys("ddp", "ddp-job-1")}
        assert {"system/cpu.util", "system/proc.cpu.util"} <= keys
        assert {f"system/proc.mem.rss_mib@rank{r}" for r in range(1, WORLD)} <= keys
        assert not any(k.startswith("system/cpu.util@") for k in keys)
        writers = run.system_metrics(rank=3)
        assert writers and "system/proc.mem.rss_mib" in writers[0]


def test_one_run_per_rank_in_a_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("LOCAL_RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "4")
    run = tm.init(project="ddp", group="job-7", dir=tmp_path, system_interval=0, console="off")
    run.log({"loss": 0.5})
    run.finish()
    with tm.Api(dir=tmp_path) as api:
        stored = api.run(f"ddp/{run.id}")
        assert stored.group == "job-7" and stored.keys() == ["loss"]
        assert stored.summary == {"loss": 0.5}, "a run of its own is written whole"
        assert stored.metadata["distributed"] == {"rank": 2, "local_rank": 0, "world_size": 4}
