"""Scratch space and the shared fixtures of one benchmark invocation, built when first needed."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.core import Figure, Scale
from benchmarks.procs import Server, start_server

PROJECT = "bench"
SERIES_RUN = "series"
SERIES_KEY = "loss"
SEARCH_PROJECT = "search"
RECORDS_PER_BATCH = 50_000


@dataclass
class Workspace:
    """Temporary dirs, the long series, the seeded runs and the main server of one invocation."""

    scale: Scale
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="trailmark-bench-")))
    figures: dict[str, Figure] = field(default_factory=dict)
    _count: int = 0
    _series_dir: Path | None = None
    _search_dir: Path | None = None
    _server: Server | None = None
    server_idle_rss: int | None = None
    server_busy: bool = False
    history_source: tuple[Path, str] | None = None

    def __post_init__(self) -> None:
        # Runs of this process get an ingest service of their own, stopped by close().
        os.environ["TRAILMARK_RUNTIME_DIR"] = str(self.root / "runtime")

    def fresh_dir(self, prefix: str) -> Path:
        self._count += 1
        path = self.root / f"{prefix}-{self._count}"
        path.mkdir(parents=True)
        return path

    def series_dir(self) -> Path:
        """A data dir holding one run with a series of ``scale.series_points`` points."""
        if self._series_dir is None:
            self._series_dir = seed_series(self.fresh_dir("series"), self.scale.series_points)
        return self._series_dir

    def search_dir(self) -> Path:
        """A data dir holding ``scale.search_runs`` runs with config and summary values."""
        if self._search_dir is None:
            self._search_dir = seed_runs(self.fresh_dir("search"), self.scale.search_runs)
        return self._search_dir

    def server(self) -> Server:
        """The main server (SQLite, over the series data dir); its idle memory is noted."""
        if self._server is None:
            self._server = start_server(self.series_dir())
            time.sleep(1.0)
            self.server_idle_rss = self._server.rss()
        return self._server

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
        stop_ingest_services(self.root / "runtime")
        os.environ.pop("TRAILMARK_RUNTIME_DIR", None)
        shutil.rmtree(self.root, ignore_errors=True)


def stop_ingest_services(runtime: Path) -> None:
    """Stop the ingest services whose socket is in ``runtime`` (waits a few seconds at most)."""
    stopped = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"trailmark.sdk.local_ingest.service" in cmdline and str(runtime).encode() in cmdline:
            with contextlib.suppress(OSError):
                os.kill(int(entry.name), signal.SIGTERM)
                stopped.append(entry)
    deadline = time.monotonic() + 5
    while any(p.exists() for p in stopped) and time.monotonic() < deadline:
        time.sleep(0.02)


def noise(n: int, seed: int = 7) -> list[float]:
    """Loss-like values: a decaying curve with noise (incompressible low bits, as in training)."""
    rnd = random.Random(seed)
    return [1.0 / (1.0 + i * 1e-4) + rnd.random() * 0.01 for i in range(n)]


def seed_series(data_dir: Path, points: int) -> Path:
    """Ingest one run with one metric of ``points`` points straight through the store."""
    from trailmark.store.ingest import Envelope
    from trailmark.store.store import Store

    store = Store.open(data_dir=data_dir)
    envelope = Envelope(run_id=SERIES_RUN, project=PROJECT, writer="seed")
    values = noise(points)
    batch: list[dict[str, object]] = [{"t": "run", "q": 1, "name": SERIES_RUN}]
    t0 = 1_767_225_600.0
    for step, value in enumerate(values):
        batch.append(
            {"t": "m", "q": step + 2, "s": step, "w": t0 + step * 0.05, "d": {"loss": value}}
        )
        if len(batch) >= RECORDS_PER_BATCH:
            store.ingestor.ingest(envelope, batch)
            batch = []
    if batch:
        store.ingestor.ingest(envelope, batch)
    store.close()
    return data_dir


def seed_runs(data_dir: Path, count: int) -> Path:
    """Ingest ``count`` finished runs: 5 config keys and 3 summary metrics each."""
    from trailmark.store.ingest import Envelope
    from trailmark.store.store import Store

    store = Store.open(data_dir=data_dir)
    rnd = random.Random(11)
    t0 = 1_767_225_600.0
    for i in range(count):
        config = {
            "lr": rnd.choice([1e-4, 3e-4, 1e-3, 3e-3, 1e-2]),
            "batch_size": rnd.choice([32, 64, 128, 256]),
            "optimizer": rnd.choice(["adam", "sgd", "adamw"]),
            "model": {"layers": rnd.randint(2, 24)},
            "dropout": round(rnd.random() * 0.5, 3),
        }
        metrics = {"train/loss": rnd.random(), "val/loss": rnd.random(), "val/acc": rnd.random()}
        envelope = Envelope(run_id=f"run{i:06d}", project=SEARCH_PROJECT, writer="seed")
        store.ingestor.ingest(
            envelope,
            [
                {"t": "run", "q": 1, "name": f"run-{i}", "config": config, "created": t0 + i},
                {"t": "m", "q": 2, "s": 0, "w": t0 + i, "d": metrics},
                {"t": "fin", "q": 3, "state": "finished", "exit_code": 0, "w": t0 + i + 60},
            ],
        )
    store.close()
    return data_dir
