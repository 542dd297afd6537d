"""Console output of a run."""

from __future__ import annotations

from pydantic import Field

from trailmark.views.base import View


class LogLine(View):
    n: int = Field(description="Line number, increasing in the order written.")
    time: float
    stream: str = Field(description="stdout or stderr")
    rank: int | None = Field(description="The process of a distributed run; null: the only one.")
    text: str


class LogPage(View):
    lines: list[LogLine]
    next: int | None = Field(description="The `after` of the next page; null when no more.")
