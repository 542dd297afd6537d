"""Seeded data for the run page's captured data: console output, code, environment and system
metrics of a finished run, and a running run whose console the test keeps writing to."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from trailmark.store.ingest import Envelope
from trailmark.store.store import Store

PROJECT = "capture"
DONE_RUN = "capdone"
LIVE_RUN = "caplive"
BARE_RUN = "capbare"

START = 1_767_225_600.0
LINES = 5_200
RANK1_LINES = ["rank 1 ready", "rank 1 step 100", "rank 1 done"]
SCRIPT_LINE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=1"> payload'
TQDM_LINE = "epoch 3: 100%|██████████| 400/400 [00:12<00:00, 32.10it/s, loss=0.213]"
COMMIT = "9fceb02d0ae598e95dc970b74767f19372d61af8"
BRANCH = "feature/warmup"
REMOTE = "https://git.example.com/ml/vision.git"
SYSTEM_SAMPLES = 180
SYSTEM_INTERVAL = 10.0

DIFF = """diff --git a/train.py b/train.py
index 83db48f..bf269f4 100644
--- a/train.py
+++ b/train.py
@@ -10,7 +10,8 @@ def main():
     model = build_model(cfg)
-    lr = 0.1
+    lr = 0.01
+    warmup = 500
     optimizer = torch.optim.SGD(model.parameters(), lr=lr)
     for epoch in range(cfg.epochs):
         train_one_epoch(model, optimizer)
         evaluate(model)
diff --git a/configs/base.yaml b/configs/base.yaml
index 1a2b3c4..5d6e7f8 100644
--- a/configs/base.yaml
+++ b/configs/base.yaml
@@ -1,3 +1,3 @@
 model: resnet18
-batch_size: 64
+batch_size: 128
 epochs: 90
"""

PACKAGES = {
    "numpy": "2.1.3",
    "torch": "2.5.1",
    "torchvision": "0.20.1",
    "tqdm": "4.67.1",
    "trailmark": "0.1.0",
    **{f"dep-{i:03d}": f"1.{i}.0" for i in range(120)},
}


def console_line(n: int) -> tuple[str, str]:
    """The stream and text of line ``n`` (from 1) of the finished run."""
    if n == 2_000:
        return "stdout", SCRIPT_LINE
    if n == 3_000:
        return "stdout", TQDM_LINE
    if n == 3_001:
        return "stdout", "\x1b[32mcoloured\x1b[0m output from a logger"
    if n % 50 == 0:
        return "stderr", f"WARNING step {n}: gradient norm clipped"
    return "stdout", f"epoch {n // 1000} step {n}: loss={2.3 * math.exp(-n / 2000):.4f}"


def _finished_run_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = [
        {
            "t": "run",
            "name": "console-and-code",
            "config": {"lr": 0.01, "epochs": 90},
            "created": START,
            "metadata": {
                "python": "3.11.7",
                "platform": "Linux-6.1.0-x86_64-with-glibc2.36",
                "user": "ada",
                "command": ["/usr/bin/python3", "train.py", "--config", "configs/base.yaml"],
                "cwd": "/home/ada/vision",
            },
        },
        {
            "t": "meta",
            "d": {
                "environment": {
                    "python": {
                        "version": "3.11.7",
                        "implementation": "CPython",
                        "executable": "/home/ada/.venv/bin/python",
                    },
                    "platform": "Linux-6.1.0-x86_64-with-glibc2.36",
                    "env": {
                        "CUDA_VISIBLE_DEVICES": "0,1",
                        "HF_TOKEN": "[redacted]",
                        "OMP_NUM_THREADS": "8",
                        "PATH": "/usr/local/bin:/usr/bin",
                    },
                },
                "host": {
                    "hostname": "gpu-box-7",
                    "user": "ada",
                    "cpu_count": 32,
                    "cpu_count_physical": 16,
                    "memory_gib": 251.5,
                    "machine": "x86_64",
                    "gpus": [
                        {"index": 0, "name": "NVIDIA A100-SXM4-40GB", "memory_mib": 40960},
                        {"index": 1, "name": "NVIDIA A100-SXM4-40GB", "memory_mib": 40960},
                    ],
                    "gpu_driver": "550.54.15",
                    "cuda_driver": "12.4",
                },
            },
            "large": {"environment.packages": PACKAGES},
        },
        {
            "t": "meta",
            "d": {
                "program": "/home/ada/vision/train.py",
                "args": ["--config", "configs/base.yaml"],
                "git": {
                    "root": "/home/ada/vision",
                    "commit": COMMIT,
                    "branch": BRANCH,
                    "remote": REMOTE,
                    "dirty": True,
                    "diff_cut": False,
                },
            },
            "large": {"git.diff": DIFF},
        },
    ]
    for first in range(1, LINES + 1, 1000):
        lines = []
        for n in range(first, min(first + 1000, LINES + 1)):
            stream, text = console_line(n)
            lines.append([START + n * 0.5, stream, text])
        records.append({"t": "log", "lines": lines})
    for i in range(SYSTEM_SAMPLES):
        w = START + (i + 1) * SYSTEM_INTERVAL
        wave = math.sin(i / 12)
        records.append(
            {
                "t": "sys",
                "w": w,
                "d": {
                    "system/cpu.util": 55 + 25 * wave,
                    "system/proc.cpu.util": 180 + 40 * wave,
                    "system/mem.used_mib": 30_000 + 50 * i,
                    "system/mem.util": 12 + i / 30,
                    "system/proc.mem.rss_mib": 4_000 + 10 * i,
                    "system/disk.util": 61.0,
                    "system/disk.read_mib_s": 40 + 30 * max(0.0, wave),
                    "system/net.recv_mib_s": 5 + 3 * wave,
                    "system/net.sent_mib_s": 1 + wave,
                    "system/gpu.0.util": 90 + 8 * wave,
                    "system/gpu.1.util": 70 + 20 * wave,
                    "system/gpu.0.mem.util": 80.0,
                    "system/gpu.1.mem.util": 75.0,
                    "system/gpu.0.temp_c": 65 + 5 * wave,
                    "system/gpu.1.temp_c": 61 + 5 * wave,
                },
            }
        )
    for step in range(200):
        records.append(
            {
                "t": "m",
                "s": step,
                "w": START + step * 9,
                "d": {"train/loss": 2.3 * math.exp(-step / 60)},
            }
        )
    records.append(
        {
            "t": "fin",
            "state": "finished",
            "exit_code": 0,
            "w": START + SYSTEM_SAMPLES * SYSTEM_INTERVAL,
        }
    )
    return records


def _numbered(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "q": i} for i, r in enumerate(records, start=1)]


def seed_capture(data_dir: Path) -> None:
    """A finished run with everything captured, a running one and one with nothing captured."""
    store = Store.open(None, data_dir)
    try:
        store.ingestor.ingest(
            Envelope(DONE_RUN, PROJECT, "seed"), _numbered(_finished_run_records())
        )
        rank1 = [
            {"t": "run", "host": "gpu-box-8"},
            {
                "t": "log",
                "lines": [[START + 2_600 + i, "stdout", t] for i, t in enumerate(RANK1_LINES)],
            },
            {"t": "fin", "state": "finished", "exit_code": 0, "w": START + 2_700},
        ]
        store.ingestor.ingest(Envelope(DONE_RUN, PROJECT, "seed-rank1", rank=1), _numbered(rank1))
        now = time.time()
        live = [
            {"t": "run", "name": "still-training", "created": now - 30},
            {
                "t": "log",
                "lines": [[now - 30 + i, "stdout", f"warming up {i}"] for i in range(1, 6)],
            },
        ]
        store.ingestor.ingest(Envelope(LIVE_RUN, PROJECT, "seed"), _numbered(live))
        bare = [
            {"t": "run", "name": "nothing-captured", "created": START},
            {"t": "fin", "state": "finished", "exit_code": 0, "w": START + 5},
        ]
        store.ingestor.ingest(Envelope(BARE_RUN, PROJECT, "seed"), _numbered(bare))
    finally:
        store.close()


def append_lines(texts: list[tuple[str, str]], writer: str) -> dict[str, Any]:
    """An ingest body (POST /api/v1/ingest) adding console lines to the running run."""
    now = time.time()
    return {
        "envelope": {"run": LIVE_RUN, "project": PROJECT, "writer": writer},
        "records": [
            {"t": "log", "q": 1, "lines": [[now, stream, text] for stream, text in texts]},
        ],
    }
