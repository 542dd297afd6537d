"""The run row's mutable fields while ingest applies a batch of one writer's records.

A writer of rank 0 (or without a rank) speaks for the run: its ``run``, ``meta`` and ``fin``
records set the run's host, metadata and state. Another rank's go to
``metadata.ranks.<rank>`` (its host, command, end state); a failure there (``failed``,
``crashed``, ``killed``) also marks the run, and rank 0 finishing normally afterwards does
not hide it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from trailmark import records as rec
from trailmark.records import json_safe
from trailmark.store.fork import ForkCopy

FAILED_STATES = ("failed", "crashed", "killed")


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

    def _rank_entry(self) -> dict[str, Any]:
        ranks = self.metadata.setdefault("ranks", {})
        entry: dict[str, Any] = ranks.setdefault(str(self.rank), {})
        return entry

    def apply(self, record: dict[str, Any]) -> None:
        kind = record["t"]
        if kind == rec.RUN:
            self._apply_run(record)
        elif kind == rec.CONFIG:
            deep_merge(self.config, json_safe(record["d"]))
        elif kind == rec.SUMMARY:
            self.user_summary.update(json_safe(record["d"]))
        elif kind == rec.UPDATE:
            self._apply_fields(record)
        elif kind == rec.META:
            target = self.metadata if self.primary else self._rank_entry()
            target.update(json_safe(record["d"]))
        elif kind == rec.FINISH:
            self._apply_finish(record)

    def fork(self, copy: ForkCopy) -> None:
        """Take in the history copied from the parent run."""
        self.metadata["fork"] = copy.info
        self.summary.update({k: v for k, v in copy.summary.items() if v is not None})
        if copy.last_step is not None and (
            self.last_step is None or copy.last_step > self.last_step
        ):
            self.last_step = copy.last_step

    def _apply_finish(self, record: dict[str, Any]) -> None:
        ended = float(record.get("w") or time.time())
        if not self.primary:
            entry = self._rank_entry()
            entry.update(state=record["state"], exit_code=record.get("exit_code"), ended=ended)
            if record["state"] in FAILED_STATES:
                self.state, self.ended_at = record["state"], ended
                self.exit_code = record.get("exit_code")
                self.error = f"rank {self.rank}: {record.get('error') or record['state']}"
            return
        ranks = self.metadata.get("ranks", {})
        if record["state"] == "finished" and any(
            isinstance(r, dict) and r.get("state") in FAILED_STATES for r in ranks.values()
        ):
            self.ended_at = ended  # another rank failed: the run stays failed
            return
        self.state = record["state"]
        self.ended_at = ended
        self.exit_code = record.get("exit_code")
        self.error = record.get("error")

    def _apply_run(self, record: dict[str, Any]) -> None:
        self._apply_fields(record)
        if record.get("config"):
            deep_merge(self.config, json_safe(record["config"]))
        if not self.primary:
            entry = self._rank_entry()
            entry.update(json_safe(record.get("metadata") or {}))
            entry.update(host=record.get("host"), state="running")
            for stale in ("exit_code", "ended"):
                entry.pop(stale, None)
            return
        if record.get("metadata"):
            self.metadata.update(json_safe(record["metadata"]))
        if record.get("host"):
            self.host = record["host"]
        if record.get("resume"):
            if self.state != "running":  # a job started again: its ranks report afresh
                for entry in self.metadata.get("ranks", {}).values():
                    if isinstance(entry, dict):
                        entry.pop("state", None)
            self.state, self.ended_at, self.exit_code, self.error = "running", None, None, None

    def _apply_fields(self, record: dict[str, Any]) -> None:
        if record.get("name") is not None:
            self.name = record["name"]
        if record.get("tags") is not None:
            merged = list(self.tags) if record["t"] == rec.RUN else []
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
