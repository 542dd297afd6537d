"""Slowing down password guessing: sign-in attempts, counted from the audit log.

Each failed sign-in is an audit event (``sign_in.failed``), so the count lives in the
database and holds across every replica and restart. A name with
:data:`MAX_FAILURES_PER_NAME` failures, or a client address with
:data:`MAX_FAILURES_PER_CLIENT`, in the last :data:`WINDOW_S` seconds is refused with 429
and ``Retry-After`` before its password is even checked (so a locked-out guesser learns
nothing, and costs no argon2 hash).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Final

from trailmark.errors import TooManyRequests

if TYPE_CHECKING:
    from trailmark.store.store import Store

WINDOW_S: Final = 15 * 60.0
MAX_FAILURES_PER_NAME: Final = 5
MAX_FAILURES_PER_CLIENT: Final = 20
RETRY_AFTER_S: Final = 60.0
"""What a refused attempt is told to wait (the window slides: a minute on, some of the
failures may have left it)."""


def record_failed_sign_in(
    store: Store,
    name: str,
    client: str | None,
    *,
    via: str,
    route: str | None = None,
    method: str | None = None,
) -> None:
    """Count a failed sign-in (an audit event ``sign_in.failed``, never the secret tried)."""
    from trailmark.store.accounts import AuditEntry

    store.accounts.audit.record(
        AuditEntry(
            name[:200],
            "sign_in.failed",
            outcome="failed",
            status=401,
            method=method,
            route=route,
            client=client,
            detail={"via": via},
        )
    )


def check_sign_in_allowed(store: Store, name: str, client: str | None) -> None:
    """Raise :class:`TooManyRequests` when ``name`` or ``client`` failed too often lately."""
    since = time.time() - WINDOW_S
    audit = store.accounts.audit
    if audit.failures(actor=name, since=since) >= MAX_FAILURES_PER_NAME:
        raise TooManyRequests(
            f"too many failed sign-ins for {name!r} in the last {WINDOW_S / 60:.0f} minutes: "
            "try again later",
            RETRY_AFTER_S,
        )
    if client and audit.failures(client=client, since=since) >= MAX_FAILURES_PER_CLIENT:
        raise TooManyRequests(
            f"too many failed sign-ins from this address in the last {WINDOW_S / 60:.0f} "
            "minutes: try again later",
            RETRY_AFTER_S,
        )
