"""Runs, pages of runs, and the columns the runs table can show. Times are epoch seconds."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from trailmark.views.base import Paged, View

RunState = Literal["running", "finished", "failed", "crashed", "killed"]


class Run(View):
    id: str
    project: str
    name: str
    state: RunState
    config: dict[str, Any] = Field(description="Nested JSON; MLflow params are its flat view.")
    summary: dict[str, Any] = Field(
        description='Per-metric values and user-set ones; non-finite floats as "NaN", '
        '"Infinity", "-Infinity".'
    )
    tags: list[str]
    properties: dict[str, str] = Field(description="Key-value properties (MLflow tags).")
    notes: str
    group: str | None
    job_type: str | None
    host: str | None
    metadata: dict[str, Any] = Field(
        description="git, program, environment, host...; lists leave out the bulky parts."
    )
    created: float
    updated: float
    ended: float | None
    heartbeat: float | None
    duration: float = Field(description="Seconds from creation to the end (or to now).")
    exit_code: int | None
    error: str | None
    last_step: int | None


class RunsPage(Paged):
    runs: list[Run]


class Columns(View):
    config: list[str] = Field(description='Config paths, nested keys joined by ".".')
    summary: list[str]
    properties: list[str]
