"""Dashboard benchmarks in Debian's Chromium, each figure printed beside its target.

- a project of 10,000 runs is interactive (rows shown, filter usable) within 1.5 s of navigation;
- 20 runs x 8 metrics x 100,000 steps: every chart drawn within 1 s of navigation;
- zooming into a range redraws at full resolution within 300 ms.

Run: .venv/bin/python benchmarks/ui.py [--reps N]. Prints a table and returns figures as JSON
(``--json PATH``) so benchmarks/run.py can include them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402
from tests.e2e.conftest import start_server  # noqa: E402
from trailmark.store.ingest import Envelope  # noqa: E402
from trailmark.store.store import Store  # noqa: E402

RUNS_10K = 10_000
CHART_RUNS, CHART_METRICS, CHART_STEPS = 20, 8, 100_000


def seed_many_runs(store: Store) -> None:
    rng = np.random.default_rng(1)
    for i in range(RUNS_10K):
        config = {f"c{k}": float(rng.random()) for k in range(5)}
        summary = {f"m{k}": float(rng.random()) for k in range(3)}
        records = [
            {"t": "run", "q": 1, "name": f"run-{i:05d}", "config": config, "created": 1.7e9 + i},
            {"t": "sum", "q": 2, "d": summary},
            {"t": "fin", "q": 3, "state": "finished", "exit_code": 0, "w": 1.7e9 + i + 60},
        ]
        store.ingestor.ingest(Envelope(f"r{i:05d}", "many", "seed"), records)


def seed_long_charts(store: Store) -> list[str]:
    steps = np.arange(CHART_STEPS)
    ids = []
    for r in range(CHART_RUNS):
        rng = np.random.default_rng(r)
        curves = {
            f"train/m{k}": (
                np.exp(-steps / (20_000 + 3_000 * r)) + rng.normal(0, 0.01, CHART_STEPS)
            ).tolist()
            for k in range(CHART_METRICS)
        }
        records: list[dict[str, Any]] = [
            {"t": "run", "q": 1, "name": f"long-{r}", "created": 1.7e9 + r}
        ]
        for s in range(CHART_STEPS):
            records.append(
                {
                    "t": "m",
                    "q": s + 2,
                    "s": s,
                    "w": 1.7e9 + s,
                    "d": {k: v[s] for k, v in curves.items()},
                }
            )
        records.append(
            {"t": "fin", "q": CHART_STEPS + 2, "state": "finished", "exit_code": 0, "w": 1.8e9}
        )
        for start in range(0, len(records), 50_000):
            store.ingestor.ingest(
                Envelope(f"long{r:02d}", "charts", "seed"), records[start : start + 50_000]
            )
        ids.append(f"long{r:02d}")
    return ids


def time_interactive(page: Page, url: str) -> float:
    started = time.perf_counter()
    page.goto(url)
    page.get_by_test_id("run-row").first.wait_for()
    page.get_by_test_id("filter-input").wait_for()
    return time.perf_counter() - started


def charts_drawn(page: Page, url: str) -> float:
    page.goto(url)
    page.wait_for_function(
        "() => window.__trailmark && window.__trailmark.chartsDrawnAt > 0 && "
        f"document.querySelectorAll('[data-testid=panel]').length === {CHART_METRICS} && "
        "[...document.querySelectorAll('[data-testid=panel]')].every("
        f"p => p.dataset.series === '{CHART_RUNS}' && +p.dataset.points > 0)",
        timeout=60_000,
    )
    return float(page.evaluate("window.__trailmark.chartsDrawnAt")) / 1000


def zoom_redraw(page: Page, url: str) -> float:
    charts_drawn(page, url)
    panel = page.get_by_test_id("panel").first
    box = panel.locator("canvas").first.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    # The clock starts before the gesture: what is measured includes the drag itself.
    started = float(page.evaluate("performance.now()"))
    page.mouse.move(box["x"] + box["width"] * 0.50, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.505, y, steps=4)
    page.mouse.move(box["x"] + box["width"] * 0.51, y, steps=4)
    page.mouse.up()
    page.wait_for_function(
        f"() => window.__trailmark.chartsDrawnAt > {started} && "
        "[...document.querySelectorAll('[data-testid=panel]')].every("
        "p => p.dataset.bucketed === 'false' && +p.dataset.minStep > 0)",
        timeout=30_000,
    )
    return (float(page.evaluate("window.__trailmark.chartsDrawnAt")) - started) / 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        store = Store.open(None, data_dir)
        seeded = time.perf_counter()
        seed_many_runs(store)
        ids = seed_long_charts(store)
        store.close()
        print(f"seeded in {time.perf_counter() - seeded:.1f} s", file=sys.stderr)
        server = start_server(data_dir)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                page.goto(server.url + "/projects/many")  # warm the server's caches once
                charts_url = f"{server.url}/projects/charts?top={CHART_RUNS}"
                figures: dict[str, list[float]] = {}
                cases = {
                    "ui_10k_runs_interactive_s": lambda: time_interactive(
                        page, server.url + "/projects/many"
                    ),
                    "ui_charts_20x8x100k_drawn_s": lambda: charts_drawn(page, charts_url),
                    "ui_zoom_redraw_s": lambda: zoom_redraw(page, charts_url),
                }
                for name, case in cases.items():
                    figures[name] = [case() for _ in range(args.reps)]
                    print(name, [round(v, 3) for v in figures[name]], file=sys.stderr)
                browser.close()
        finally:
            server.stop()
    targets = {
        "ui_10k_runs_interactive_s": 1.5,
        "ui_charts_20x8x100k_drawn_s": 1.0,
        "ui_zoom_redraw_s": 0.3,
    }
    result = {}
    print(f"{'figure':34} {'median':>9} {'target':>8}  verdict")
    for name, values in figures.items():
        median = statistics.median(values)
        verdict = "meets" if median <= targets[name] else "misses"
        print(f"{name:34} {median:8.3f}s {targets[name]:7.2f}s  {verdict}")
        result[name] = {
            "value": median,
            "unit": "s",
            "target": targets[name],
            "verdict": verdict,
            "runs": len(ids),
        }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
