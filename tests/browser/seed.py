"""Seeded data for browser tests: a project of runs with configs, groups and metric curves."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

from trailmark.store.ingest import Envelope
from trailmark.store.store import Store

PROJECT = "vision"
STEPS = 400


def curve(rng: random.Random, step: int, speed: float, floor: float) -> float:
    return floor + (2.3 - floor) * math.exp(-speed * step / STEPS) + rng.gauss(0, 0.02)


def seed(data_dir: Path, runs: int = 12) -> list[str]:
    """Ingest ``runs`` finished runs into ``data_dir``; return their ids (oldest first)."""
    store = Store.open(None, data_dir)
    rng = random.Random(42)
    ids: list[str] = []
    try:
        for i in range(runs):
            run_id = f"run{i:02d}"
            lr = [1e-3, 3e-4, 1e-4][i % 3]
            optimizer = ["adam", "sgd"][i % 2]
            speed = 1.0 + 6.0 * lr * 1000 / 3
            records: list[dict[str, Any]] = [
                {
                    "t": "run",
                    "q": 1,
                    "name": f"{optimizer}-lr{lr:g}-{i}",
                    "config": {
                        "lr": lr,
                        "optimizer": optimizer,
                        "batch_size": 32 * (1 + i % 4),
                        "model": {"depth": 18 + 16 * (i % 2)},
                    },
                    "tags": ["baseline"] if i < 3 else ["sweep"],
                    "group": f"opt-{optimizer}",
                    "created": 1_767_225_600.0 + 3600 * i,
                }
            ]
            q = 1
            for step in range(STEPS):
                q += 1
                data = {
                    "train/loss": curve(rng, step, speed, 0.1),
                    "train/acc": 1 - curve(rng, step, speed, 0.05) / 2.3,
                }
                if step % 10 == 0:
                    data["val/loss"] = curve(rng, step, speed, 0.2) + 0.05
                    data["system/cpu"] = 50 + 20 * math.sin(step / 30) + rng.gauss(0, 2)
                records.append(
                    {"t": "m", "q": q, "s": step, "w": 1_767_225_600.0 + 3600 * i + step, "d": data}
                )
            q += 1
            records.append(
                {
                    "t": "fin",
                    "q": q,
                    "state": "finished" if i != 5 else "failed",
                    "exit_code": 0 if i != 5 else 1,
                    "w": 1_767_225_600.0 + 3600 * i + STEPS,
                }
            )
            store.ingestor.ingest(Envelope(run_id, PROJECT, "seed"), records)
            ids.append(run_id)
    finally:
        store.close()
    return ids


LONG_PROJECT = "long"
LONG_STEPS = 50_000
SPIKE_STEP = 31_337


def seed_long(data_dir: Path) -> None:
    """One run with a long series and a single spike, for bucketing and zoom."""
    store = Store.open(None, data_dir)
    try:
        records: list[dict[str, Any]] = [{"t": "run", "q": 1, "name": "long-run"}]
        for step in range(LONG_STEPS):
            value = 100.0 if step == SPIKE_STEP else 1.0 + math.sin(step / 500) * 0.1
            records.append(
                {
                    "t": "m",
                    "q": step + 2,
                    "s": step,
                    "w": 1_767_225_600.0 + step,
                    "d": {"loss": value},
                }
            )
        records.append(
            {
                "t": "fin",
                "q": LONG_STEPS + 2,
                "state": "finished",
                "exit_code": 0,
                "w": 1_767_300_000.0,
            }
        )
        store.ingestor.ingest(Envelope("longrun", LONG_PROJECT, "seed"), records)
    finally:
        store.close()


HOSTILE_PROJECT = "hostile"
PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'


def seed_hostile(data_dir: Path) -> None:
    """A run whose name, tags, notes and config carry HTML and script payloads."""
    store = Store.open(None, data_dir)
    try:
        records: list[dict[str, Any]] = [
            {
                "t": "run",
                "q": 1,
                "name": "x" + PAYLOAD[:200],
                "tags": ["<b>bold</b>", "<svg onload=window.__xss=1>"],
                "notes": PAYLOAD,
                "config": {"html": PAYLOAD, "<i>key</i>": 1},
            },
            {"t": "m", "q": 2, "s": 0, "w": 1_767_225_600.0, "d": {"<b>loss</b>": 1.0}},
            {"t": "sum", "q": 3, "d": {"note": PAYLOAD}},
        ]
        store.ingestor.ingest(Envelope("hostile1", HOSTILE_PROJECT, "seed"), records)
    finally:
        store.close()
