"""One lookup for many identical requests in flight at once.

The ranks of a training job send their ingest batches with the same API key, to the same
project, in bursts (each group commit answers many of them at once, and they all send their
next batch). Looking the key and the role up once for all the requests that arrive while
the same lookup is running saves most of the guard's database work, without any cache:
every answer comes from a lookup that started after the request arrived or was already
running when it did, so a revoked key or role is refused as soon as the revocation is
committed (a revocation racing a lookup is a race either way).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class _Flight(Generic[T]):
    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None


class SingleFlight(Generic[T]):
    """``run(key, fn)``: ``fn()``, shared with the callers that ask for ``key`` while it runs.

    Example::

        flights: SingleFlight[Account | None] = SingleFlight()
        account = flights.run(key_hash, lambda: store.accounts.keys.authenticate(key))
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight[T]] = {}

    def run(self, key: Hashable, fn: Callable[[], T]) -> T:
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.result  # type: ignore[return-value]
        try:
            flight.result = fn()
            return flight.result
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()
