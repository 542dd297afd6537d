"""The kinds of spool record the store knows, each one module, found through :data:`KINDS`.

A kind (:class:`~trailmark.store.record_kinds.base.RecordKind`) is a type tag, a ``check``
that refuses a malformed record before anything of its batch is written, and an ``apply``
that folds consecutive records of its type into the run being ingested
(:class:`~trailmark.store.record_kinds.base.WriterBatch`): its state, its series, or rows
the kind's ``write`` puts in the database once for the whole group of batches.

To add a kind: write its module here (a ``KIND``; see ``config.py`` for a small one) and add
it to :data:`BUILT_IN` below. Nothing else in the store names a kind. The SDK writes records
by the tags of :mod:`trailmark.records`, which every built-in kind covers (tested).

Example: an ingestor that knows one kind more (tests do this with a kind of their own)::

    ingestor = Ingestor(db, kinds=registry(*KINDS.values(), alerts.KIND))
"""

from __future__ import annotations

from collections.abc import Mapping

from trailmark.store.record_kinds import (
    config,
    console,
    define,
    finish,
    meta,
    metrics,
    run,
    summary,
    system,
    update,
)
from trailmark.store.record_kinds.base import RecordKind, WriterBatch

__all__ = ["BUILT_IN", "KINDS", "RecordKind", "WriterBatch", "registry"]

BUILT_IN: tuple[RecordKind, ...] = (
    run.KIND,
    metrics.KIND,
    config.KIND,
    summary.KIND,
    define.KIND,
    update.KIND,
    finish.KIND,
    system.KIND,
    console.KIND,
    meta.KIND,
)


def registry(*kinds: RecordKind) -> Mapping[str, RecordKind]:
    """The kinds by tag; a tag given twice is a mistake, refused."""
    found: dict[str, RecordKind] = {}
    for kind in kinds:
        if kind.tag in found:
            raise ValueError(f"two record kinds have the tag {kind.tag!r}")
        found[kind.tag] = kind
    return found


KINDS = registry(*BUILT_IN)
"""The built-in kinds by tag: what ingest applies unless given others."""
