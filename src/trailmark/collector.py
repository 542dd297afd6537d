"""How Trailmark's long-running processes use Python's cyclic garbage collector.

A full (generation 2) collection walks every container object the process holds. After
start the server holds ~140,000 of them (FastAPI's routes and models, SQLAlchemy's tables
and compiled statements, numpy, the drivers), and under ingest load a full collection came
every second or so, because the records of queued batches live long enough to reach the
oldest generation. Each took 85-110 ms on this 2-core machine, holding the interpreter, so
every request in flight waited that long (and found nothing to free: the server's garbage is
freed by reference counting). Those pauses were most of the p99 of 64 processes logging.

So objects that live as long as the server are moved out of the collector's sight
(:func:`gc.freeze`) once it has started, and again once the first requests have built what
the server builds lazily (the middleware stack, prepared statements, the codecs' imports).
Frozen objects are still freed when their last reference goes; only cycles among them would
be kept, and the server makes none that it drops. Only a process that serves nothing else
does this: ``trailmark server`` (``ServerSettings.dedicated_process``) and the local ingest
service (:mod:`trailmark.sdk.local_ingest.service`), which parses and applies every local run's
batches. An app embedded in another program, or created by the hundred in tests, leaves
that program's collector alone.

The youngest generation is also collected after 10,000 new containers instead of 700: a
batch's records are a few hundred dicts that live until their group commits (10-100 ms),
so at 700 a collection came every ~12 ms, found them still alive and promoted them, and
the older generations' collections walked them again (7% of a core under that load).
"""

from __future__ import annotations

import gc
import threading

YOUNG_THRESHOLD = 10_000
"""New container objects between collections of the youngest generation (Python's default
is 700)."""

WARM_AFTER_GROUPS = 50
"""Ingest groups applied before the second freeze: by then every route the writers use
and every statement of a group has been built."""

_lock = threading.Lock()
_tuned = False
_frozen_warm = False


def freeze_startup_objects() -> None:
    """Collect once, then keep what is left (the server's long-lived objects) out of every
    later collection; collect the youngest generation less often."""
    global _tuned
    _tuned = True
    gc.collect()
    gc.freeze()
    young, older, oldest = gc.get_threshold()
    gc.set_threshold(max(YOUNG_THRESHOLD, young), older, oldest)


def freeze_once_warm(groups_applied: int) -> None:
    """The second freeze, after :data:`WARM_AFTER_GROUPS` ingest groups, in a process that
    had the first (:func:`freeze_startup_objects`); otherwise, and after it, a no-op."""
    global _frozen_warm
    if not _tuned or _frozen_warm or groups_applied < WARM_AFTER_GROUPS:
        return
    with _lock:
        if _frozen_warm:
            return
        _frozen_warm = True
    freeze_startup_objects()
