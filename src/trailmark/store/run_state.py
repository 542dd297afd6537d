"""The run row's mutable fields while ingest applies a batch of one writer's records.

Each record kind changes them in its own module (:mod:`trailmark.store.record_kinds`).
A writer of rank 0 (or without a rank) speaks for the run: its ``run``, ``meta`` and ``fin``
records set the run's host, metadata and state. Another rank's go to
``metadata.ranks.<rank>`` (:meth:`RunState.rank_entry`: its host, command, end state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trailmark import records as rec
from trailmark.store.fork import ForkCopy


@dataclass
class RunState:
    name: str
    state: str
    config: dict[str, Any]
    summary: dict[str, Any]
    tags: list[str]
    notes: str
    group: str | None
    job_type: str | None
    host: str | None
    metadata: dict[str, Any]
    ended_at: float | None
    exit_code: int | None
    error: str | None
    last_step: int | None
    rank: int | None = None
    user_summary: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any, rank: int | None = None) -> RunState:
        return cls(
            name=row.name,
            state=row.state,
            config=dict(row.config),
            summary=dict(row.summary),
            tags=list(row.tags),
            notes=row.notes,
            group=row.group_name,
            job_type=row.job_type,
            host=row.host,
            metadata=dict(row.metadata),
            ended_at=row.ended_at,
            exit_code=row.exit_code,
            error=row.error,
            last_step=row.last_step,
            rank=rank,
        )

    @property
    def primary(self) -> bool:
        return rec.is_primary(self.rank)

    def rank_entry(self) -> dict[str, Any]:
        """This writer's entry under ``metadata.ranks`` (created if missing)."""
        ranks = self.metadata.setdefault("ranks", {})
        entry: dict[str, Any] = ranks.setdefault(str(self.rank), {})
        return entry

    def fork(self, copy: ForkCopy) -> None:
        """Take in the history copied from the parent run."""
        self.metadata["fork"] = copy.info
        self.summary.update({k: v for k, v in copy.summary.items() if v is not None})
        if copy.last_step is not None and (
            self.last_step is None or copy.last_step > self.last_step
        ):
            self.last_step = copy.last_step

    def set_fields(self, record: dict[str, Any], *, add_tags: bool) -> None:
        """The run fields a ``run`` or ``upd`` record names (``add_tags``: its tags join the
        run's instead of replacing them)."""
        if record.get("name") is not None:
            self.name = record["name"]
        if record.get("tags") is not None:
            merged = list(self.tags) if add_tags else []
            merged.extend(t for t in record["tags"] if t not in merged)
            self.tags = merged
        if record.get("notes") is not None:
            self.notes = record["notes"]
        if record.get("group") is not None:
            self.group = record["group"]
        if record.get("job_type") is not None:
            self.job_type = record["job_type"]

    def changed_values(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "config": self.config,
            "summary": self.summary,
            "tags": self.tags,
            "notes": self.notes,
            "group_name": self.group,
            "job_type": self.job_type,
            "host": self.host,
            "metadata": self.metadata,
            "ended_at": self.ended_at,
            "exit_code": self.exit_code,
            "error": self.error,
            "last_step": self.last_step,
        }


def deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value
