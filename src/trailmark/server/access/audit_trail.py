"""The guard's part of the audit log: every write and every refusal, once accounts are on.

The guard calls :meth:`AuditTrail.after` once the answer is sent, so a slow or failing
audit write never delays or fails a request: an error is logged, and the request keeps
its answer. What is recorded (``store.accounts.audit``): who (the user, or
``anonymous``), what (``action`` ``"write"`` for a state-changing request, ``"denied"``
routes with outcome ``denied``), the declared route, the resource (``project:mnist``),
the status, the outcome (``ok``, ``denied``, ``failed``) and the client's address. Never
a secret: no header, body or query is kept.

Ingest batches are the exception to "one event per request": a training run posts several
a second, so successful batches of one caller to one project make one ``write`` event at
most every :data:`INGEST_EVENT_EVERY_S` seconds, carrying how many batches it stands for
(``detail.batches``, counted since the previous event). Refused and failed batches are
recorded one by one, like everything else.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Final

from trailmark.server.access.resources import INGEST_ROUTE, Resource
from trailmark.server.identity import Identity

if TYPE_CHECKING:
    from trailmark.store.accounts.audit import Outcome
    from trailmark.store.store import Store

log = logging.getLogger("trailmark.server.audit")

INGEST_EVENT_EVERY_S: Final = 60.0


def outcome_of(status: int, denied: bool) -> Outcome:
    if denied or status in (401, 403):
        return "denied"
    return "ok" if status < 400 else "failed"


class AuditTrail:
    """Records the guard's audit events through the store (synchronous: call it from a
    worker thread)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._ingest: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def wants(self, method: str, status: int, denied: bool) -> bool:
        """Whether a request makes an event: writes and refusals."""
        return denied or method not in ("GET", "HEAD", "OPTIONS") or status in (401, 403)

    def after(
        self,
        identity: Identity,
        method: str,
        route: str,
        resource: Resource | None,
        status: int,
        client: str | None,
        *,
        denied: bool = False,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record one answered request; never raises (an error is logged). A successful
        ingest batch is recorded only when :meth:`ingest_batches` says it is due."""
        try:
            outcome = outcome_of(status, denied)
            detail = dict(detail or {})
            if route == INGEST_ROUTE and outcome == "ok":
                batches = self.ingest_batches(identity.name, resource)
                if batches is None:
                    return
                detail["batches"] = batches
            self.record(
                action="write" if outcome != "denied" or method not in ("GET", "HEAD") else "read",
                identity=identity,
                method=method,
                route=route,
                resource=str(resource) if resource is not None else None,
                status=status,
                outcome=outcome,
                client=client,
                detail=detail,
            )
        except Exception:
            log.exception("could not record an audit event for %s (%s)", route, status)

    def ingest_due(self, actor: str, resource: Resource | None) -> bool:
        """Whether a successful ingest batch makes an event now (cheap: no database), or
        only counts towards the next one."""
        with self._lock:
            last = self._ingest.get((actor, str(resource)), (0.0, 0))[0]
        if last and time.monotonic() - last < INGEST_EVENT_EVERY_S:
            self.ingest_batches(actor, resource)  # counted
            return False
        return True

    def ingest_batches(self, actor: str, resource: Resource | None) -> int | None:
        """How many batches the next ingest event stands for, or ``None``: not yet."""
        now = time.monotonic()
        key = (actor, str(resource))
        with self._lock:
            last, count = self._ingest.get(key, (0.0, 0))
            count += 1
            if last and now - last < INGEST_EVENT_EVERY_S:
                self._ingest[key] = (last, count)
                return None
            self._ingest[key] = (now, 0)
            return count

    def record(
        self,
        *,
        action: str,
        identity: Identity,
        status: int,
        outcome: Outcome,
        method: str | None = None,
        route: str | None = None,
        resource: str | None = None,
        client: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Write one event (raises what the store raises)."""
        from trailmark.store.accounts import AuditEntry

        self._store.accounts.audit.record(
            AuditEntry(
                at=time.time(),
                actor=identity.name,
                actor_id=identity.user_id,
                action=action,
                method=method,
                route=route,
                resource=resource,
                status=status,
                outcome=outcome,
                client=client,
                detail=detail or {},
            )
        )
