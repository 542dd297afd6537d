"""``fin``: the writer's process ended: ``state``, ``exit_code``, ``w``, optional ``error``.

Rank 0 (or a writer without a rank) ends the run. Another rank's end goes to
``metadata.ranks.<rank>``; a failure there (``failed``, ``crashed``, ``killed``) also marks
the run, and rank 0 finishing normally afterwards does not hide it.
"""

from __future__ import annotations

import time

from trailmark import records as rec
from trailmark.errors import InvalidInput
from trailmark.store.record_kinds.base import RecordKind, WriterBatch
from trailmark.store.run_state import RunState
from trailmark.types import RUN_STATES, Record

FAILED_STATES = ("failed", "crashed", "killed")


def check(record: Record, where: str, known: set[str]) -> None:
    if record.get("state") not in RUN_STATES:
        raise InvalidInput(f"{where}: state must be one of {', '.join(RUN_STATES)}")


def apply(records: list[Record], batch: WriterBatch) -> None:
    state = batch.change_state()
    for record in records:
        _finish(state, record)


def _finish(state: RunState, record: Record) -> None:
    ended = float(record.get("w") or time.time())
    if not state.primary:
        entry = state.rank_entry()
        entry.update(state=record["state"], exit_code=record.get("exit_code"), ended=ended)
        if record["state"] in FAILED_STATES:
            state.state, state.ended_at = record["state"], ended
            state.exit_code = record.get("exit_code")
            state.error = f"rank {state.rank}: {record.get('error') or record['state']}"
        return
    ranks = state.metadata.get("ranks", {})
    if record["state"] == "finished" and any(
        isinstance(r, dict) and r.get("state") in FAILED_STATES for r in ranks.values()
    ):
        state.ended_at = ended  # another rank failed: the run stays failed
        return
    state.state = record["state"]
    state.ended_at = ended
    state.exit_code = record.get("exit_code")
    state.error = record.get("error")


KIND = RecordKind(rec.FINISH, check=check, apply=apply)
