"""Rows turned into the JSON objects the REST API and ``Api`` return (names are the contract).

Their shapes are declared by :mod:`trailmark.views.projects` (``Project``) and
:mod:`trailmark.views.runs` (``Run``). They are built as plain dicts, not models: a search
reads thousands of runs for the local ``Api`` too, where a model per row would cost more than
the read, and the contract tests (``tests/server/test_responses.py``) hold the two together.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row


def project_view(
    row: Row[Any], run_count: int = 0, last_activity: float | None = None
) -> dict[str, Any]:
    return {
        "name": row.name,
        "description": row.description,
        "created": row.created_at,
        "updated": row.updated_at,
        "run_count": run_count,
        "last_activity": last_activity if last_activity is not None else row.updated_at,
    }


def run_view(row: Row[Any], project_name: str) -> dict[str, Any]:
    ended = row.ended_at
    end_or_now = ended if ended is not None else (row.heartbeat_at or row.updated_at)
    return {
        "id": row.id,
        "project": project_name,
        "name": row.name,
        "state": row.state,
        "config": row.config,
        "summary": row.summary,
        "tags": row.tags,
        "properties": row.properties,
        "notes": row.notes,
        "group": row.group_name,
        "job_type": row.job_type,
        "host": row.host,
        "metadata": row.metadata,
        "created": row.created_at,
        "updated": row.updated_at,
        "ended": ended,
        "heartbeat": row.heartbeat_at,
        "duration": max(0.0, end_or_now - row.created_at),
        "exit_code": row.exit_code,
        "error": row.error,
        "last_step": row.last_step,
    }
