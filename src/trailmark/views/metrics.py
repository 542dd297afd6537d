"""Metric keys with statistics, series of points, min/max buckets and history rows.

Non-finite values travel as the strings "NaN", "Infinity" and "-Infinity".
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from trailmark.views.base import View

MetricValue = float | str
"""A float, or "NaN" / "Infinity" / "-Infinity"."""


class MetricStats(View):
    n: int = Field(description="Points logged.")
    nf: int = Field(description="Finite points among them.")
    min: float | None = None
    max: float | None = None
    sum: float | None = None
    first: MetricValue | None = None
    first_step: int | None = None
    last: MetricValue | None = None
    last_step: int | None = None
    last_time: float | None = None


class MetricInfo(View):
    key: str
    summary: str = Field(description="How the run's summary shows it: last, min, max, mean...")
    stats: MetricStats


class MetricList(View):
    metrics: list[MetricInfo]


class Series(View):
    key: str
    count: int
    bucketed: bool = Field(description="Whether the points are min/max buckets of the range.")
    steps: list[int]
    times: list[float]
    values: list[MetricValue]


class RunSeries(Series):
    run: str


class SeriesList(View):
    series: list[RunSeries]


class KeyCount(View):
    key: str
    runs: int = Field(description="How many of the runs asked about log this key.")


class KeyCounts(View):
    keys: list[KeyCount]


class History(View):
    rows: list[dict[str, Any]] = Field(
        description='Rows by step: {"_step", "_timestamp", key: value} for the keys asked.'
    )
