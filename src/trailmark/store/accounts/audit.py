"""The audit log: who did what, when, from where, with what outcome. Append-only: this
module has no update and no delete, and the API offers none.

Pages go from the newest event back; a page token is the id of the last event shown, so
events recorded while someone pages do not shift the pages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import func, insert, or_, select

from trailmark.errors import InvalidInput
from trailmark.store.database import Database
from trailmark.store.schema import audit_events
from trailmark.store.upserts import insert_id
from trailmark.views.accounts import AuditEvent, AuditPage

Outcome = Literal["ok", "denied", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("ok", "denied", "failed")
SIGN_IN_FAILED = "sign_in.failed"
MAX_PAGE = 1000
_LIMITS = {"actor": 256, "action": 64, "method": 16, "route": 512, "resource": 512, "client": 128}


@dataclass(frozen=True)
class AuditEntry:
    """One event to record. ``detail`` must never hold a secret (password, key, token)."""

    actor: str
    action: str
    outcome: Outcome = "ok"
    status: int = 200
    actor_id: int | None = None
    method: str | None = None
    route: str | None = None
    resource: str | None = None
    client: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    at: float | None = None


def _clip(name: str, value: str | None) -> str | None:
    """``value`` cut to its column's length, a NUL (which PostgreSQL refuses) shown as U+FFFD:
    what a client sent, a name tried at sign-in, must never make the record fail."""
    return None if value is None else value[: _LIMITS[name]].replace("\x00", "\ufffd")


def event_view(row: Any) -> AuditEvent:
    return AuditEvent(
        id=int(row.id),
        at=row.at,
        actor=row.actor,
        actor_id=row.actor_id,
        action=row.action,
        method=row.method,
        route=row.route,
        resource=row.resource,
        status=row.status,
        outcome=row.outcome,
        client=row.client,
        detail=row.detail,
    )


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, entry: AuditEntry) -> int:
        """Append ``entry``; its id."""
        if entry.outcome not in OUTCOMES:
            raise InvalidInput(
                f"outcome must be one of {', '.join(OUTCOMES)}, got {entry.outcome!r}"
            )
        with self.db.write() as conn:
            return insert_id(
                conn,
                insert(audit_events).values(
                    at=time.time() if entry.at is None else entry.at,
                    actor=_clip("actor", entry.actor) or "anonymous",
                    actor_id=entry.actor_id,
                    action=_clip("action", entry.action),
                    method=_clip("method", entry.method),
                    route=_clip("route", entry.route),
                    resource=_clip("resource", entry.resource),
                    status=entry.status,
                    outcome=entry.outcome,
                    client=_clip("client", entry.client),
                    detail=dict(entry.detail),
                ),
            )

    def list(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        resource: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        page_token: str | None = None,
    ) -> AuditPage:
        """Events, newest first, that match every filter given (``since`` inclusive,
        ``until`` exclusive; ``action`` ending in ``.*`` matches a family: ``key.*``)."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
        query = select(audit_events)
        if actor is not None:
            query = query.where(audit_events.c.actor == actor)
        if action is not None:
            if action.endswith(".*"):
                family = action[:-2]
                query = query.where(
                    or_(
                        audit_events.c.action == family,
                        audit_events.c.action.startswith(family + ".", autoescape=True),
                    )
                )
            else:
                query = query.where(audit_events.c.action == action)
        if outcome is not None:
            if outcome not in OUTCOMES:
                raise InvalidInput(f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
            query = query.where(audit_events.c.outcome == outcome)
        if resource is not None:
            query = query.where(audit_events.c.resource == resource)
        if since is not None:
            query = query.where(audit_events.c.at >= since)
        if until is not None:
            query = query.where(audit_events.c.at < until)
        if page_token is not None:
            if not page_token.isdigit():
                raise InvalidInput(f"page_token {page_token[:40]!r} is not one this server gave")
            query = query.where(audit_events.c.id < int(page_token))
        query = query.order_by(audit_events.c.id.desc()).limit(limit + 1)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        more = len(rows) > limit
        rows = rows[:limit]
        return AuditPage(
            events=[event_view(row) for row in rows],
            next_page_token=str(rows[-1].id) if more else None,
        )

    def failures(self, *, actor: str | None = None, client: str | None = None, since: float) -> int:
        """How many failed sign-ins since ``since`` by ``actor`` (the name tried) and/or from
        ``client``: both given, events matching both (rate limits ask one at a time)."""
        query = (
            select(func.count())
            .select_from(audit_events)
            .where(audit_events.c.action == SIGN_IN_FAILED, audit_events.c.at >= since)
        )
        if actor is not None:
            query = query.where(audit_events.c.actor == actor)
        if client is not None:
            query = query.where(audit_events.c.client == client)
        with self.db.read() as conn:
            return int(conn.execute(query).scalar_one())
