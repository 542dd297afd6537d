"""Reading cases: a long series through the store and over REST, and searching many runs."""

from __future__ import annotations

import time
from collections.abc import Callable

import orjson

from benchmarks.core import Figure, figure, scaled
from benchmarks.procs import Http
from benchmarks.workspace import PROJECT, SEARCH_PROJECT, SERIES_KEY, SERIES_RUN, Workspace

FULL_SEARCH_RUNS = 10_000
PIXELS = 1000
ZOOM_POINTS = 10_000
ZOOM_BUCKETS = ZOOM_POINTS // 2
"""A 10,000-point range with 5,000 buckets comes back at full resolution (<= 2 x buckets)."""

READ_REPS = 15
"""At least this many repetitions of each read: a read takes 1-10 ms, so the best of 15 costs
little and stays steady when a shared machine stalls a few of them (the guard compares bests)."""

SEARCH_FILTER = 'config.lr <= 1e-3 and config.optimizer = "adam" and summary.`val/acc` > 0.3'
SEARCH_ORDER = "-summary.val/acc"


def _timings(fn: Callable[[], int], reps: int, expect: Callable[[int], bool]) -> list[float]:
    fn()  # the first read warms the page cache; the figure is the repeated read
    out: list[float] = []
    for _ in range(reps):
        started = time.perf_counter()
        count = fn()
        out.append(time.perf_counter() - started)
        if not expect(count):
            raise RuntimeError(f"unexpected number of points: {count}")
    return out


def case_series(ws: Workspace) -> dict[str, Figure]:
    """Min/max buckets for 1,000 px over the whole series, and a 10,000-point zoom."""
    from trailmark.store.store import Store

    data_dir = ws.series_dir()
    points = ws.scale.series_points
    lo = points // 2
    hi = lo + ZOOM_POINTS - 1
    reps = max(ws.scale.reps * 2, READ_REPS)
    store = Store.open(data_dir=data_dir)
    try:
        buckets = _timings(
            lambda: len(store.metrics.bucketed(SERIES_RUN, SERIES_KEY, PIXELS)),
            reps,
            lambda n: 0 < n <= 3 * PIXELS,
        )
        zoom = _timings(
            lambda: len(store.metrics.bucketed(SERIES_RUN, SERIES_KEY, ZOOM_BUCKETS, lo, hi)),
            reps,
            lambda n: n == ZOOM_POINTS,
        )
    finally:
        store.close()

    server = ws.server()
    ws.server_busy = True
    http = Http(server.port)
    base = f"/api/v1/projects/{PROJECT}/runs/{SERIES_RUN}/series?key={SERIES_KEY}"
    try:
        rest_buckets = _timings(
            lambda: len(orjson.loads(http.get(f"{base}&buckets={PIXELS}"))["steps"]),
            reps,
            lambda n: 0 < n <= 3 * PIXELS,
        )
        rest_zoom = _timings(
            lambda: len(
                orjson.loads(
                    http.get(f"{base}&buckets={ZOOM_BUCKETS}&min_step={lo}&max_step={hi}")
                )["steps"]
            ),
            reps,
            lambda n: n == ZOOM_POINTS,
        )
    finally:
        http.close()
    note = f"{points:,} points"
    return {
        "buckets_store": figure(buckets, "s", note=f"store.metrics.bucketed, {note}"),
        "zoom_store": figure(zoom, "s", note=f"bucketed(buckets={ZOOM_BUCKETS}, range)"),
        "buckets_rest": figure(rest_buckets, "s", note="keep-alive GET + JSON decode"),
        "zoom_rest": figure(rest_zoom, "s", note="keep-alive GET + JSON decode"),
    }


def case_search(ws: Workspace) -> dict[str, Figure]:
    """``Api.runs(project, filter, order, per_page=100)``: the first page of a search."""
    import trailmark as tm

    count = ws.scale.search_runs
    data_dir = ws.search_dir()
    reps: list[float] = []
    with tm.Api(dir=data_dir) as api:
        api.runs(SEARCH_PROJECT, filter=SEARCH_FILTER, order=SEARCH_ORDER, per_page=100)
        for _ in range(ws.scale.reps * 2):
            started = time.perf_counter()
            runs = api.runs(SEARCH_PROJECT, filter=SEARCH_FILTER, order=SEARCH_ORDER, per_page=100)
            first = runs[0]
            reps.append(time.perf_counter() - started)
            if not 0 < len(runs) < count or first.summary["val/acc"] <= 0.3:
                raise RuntimeError(f"unexpected search result: {len(runs)} runs")
    matched = len(runs)
    fig = figure(reps, "s", note=f"{matched:,} of {count:,} runs match")
    if count != FULL_SEARCH_RUNS:
        fig = scaled(fig, FULL_SEARCH_RUNS / count, f"extrapolated linearly from {count:,} runs")
    return {"search_10k": fig}
