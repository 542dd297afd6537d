"""Projects (MLflow: experiments). Times are epoch seconds."""

from __future__ import annotations

from trailmark.views.base import View


class Project(View):
    name: str
    description: str
    created: float
    updated: float
    run_count: int
    last_activity: float


class ProjectList(View):
    projects: list[Project]
