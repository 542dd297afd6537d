"""A demo project: a toy training loop run with several hyperparameter settings."""

from __future__ import annotations

import math
import random
from pathlib import Path

from trailmark.sdk.init import init


def log_demo_project(data_dir: Path, runs: int = 6, steps: int = 500) -> None:
    rng = random.Random(7)
    grid = [(lr, bs) for lr in (1e-3, 3e-4, 1e-4) for bs in (32, 128)]
    for i in range(runs):
        lr, batch_size = grid[i % len(grid)]
        run = init(
            project="demo",
            name=f"lr{lr:g}-bs{batch_size}" + (f"-{i // len(grid)}" if i >= len(grid) else ""),
            config={
                "lr": lr,
                "batch_size": batch_size,
                "model": {"layers": 2 + i % 3, "width": 128},
            },
            tags=["demo", "baseline" if i < 2 else "sweep"],
            dir=data_dir,
        )
        speed = lr * 2000 * (1 + batch_size / 256)
        for step in range(steps):
            progress = 1 - math.exp(-speed * step / steps)
            loss = 2.3 * (1 - 0.9 * progress) + rng.gauss(0, 0.05)
            acc = 0.1 + 0.85 * progress + rng.gauss(0, 0.01)
            run.log({"train/loss": loss, "train/acc": acc, "lr": lr * (1 - step / steps)})
            if step % 50 == 49:
                run.log({"val/loss": loss + 0.1, "val/acc": acc - 0.03}, step=step, commit=False)
        run.summary["best_val_acc"] = round(acc - 0.03, 4)
        run.finish()
