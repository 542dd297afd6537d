"""The client's one retry policy: which failures are tried again, how long to wait, how often."""

from __future__ import annotations

import random
from dataclasses import dataclass

from trailmark.client.errors import UNREACHABLE, HttpError

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods that may be sent twice with the effect of once (RFC 9110, 9.2.2). A POST that is
idempotent by design (a read, a batch the server deduplicates) says so per request."""


@dataclass(frozen=True)
class Retry:
    """Try an idempotent request again after no answer, or after 429/503.

    Waits double from ``backoff`` up to ``max_backoff`` (with jitter, so clients that failed
    together do not return together), or what the server's ``Retry-After`` asks when it
    asks for at most ``max_retry_after`` seconds; a longer wait is the caller's decision,
    so the error is raised at once. ``attempts`` counts every try, the first included.

    Example::

        Client(url, retry=Retry(attempts=5, max_backoff=10.0))
    """

    attempts: int = 3
    backoff: float = 0.25
    max_backoff: float = 4.0
    max_retry_after: float = 30.0
    statuses: frozenset[int] = frozenset({429, 503})

    def wait(self, failures: int, error: HttpError) -> float | None:
        """Seconds to wait after the ``failures``-th failed try (``error``); None: give up."""
        if failures >= self.attempts:
            return None
        if error.status == 0:
            if error.code != UNREACHABLE:
                return None
        elif error.status not in self.statuses:
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_retry_after else None
        delay = min(self.max_backoff, self.backoff * 2.0 ** (failures - 1))
        return delay * (0.75 + random.random() / 2)


NO_RETRY = Retry(attempts=1)
"""For a caller with its own retry loop (the sender): every failure is raised at once."""
