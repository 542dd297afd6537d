"""/api/v1/audit: the audit log, for server admins; and how the accounts routes write to it.

Every write and every refusal is recorded by the request guard
(:mod:`trailmark.server.access.audit_trail`); sign-ins by the sign-in routes; the account
routes add what the guard cannot tell from a request (:func:`record_action`:
``key.create`` with the key's name and prefix, ``grant.set`` with the member and role...).
The log is append-only: no route changes or deletes an event.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from trailmark.server.deps import get_store
from trailmark.server.identity import current_identity
from trailmark.store.accounts.audit import AuditEntry, Outcome
from trailmark.store.store import Store
from trailmark.views.accounts import AuditPage

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

log = logging.getLogger("trailmark.server.audit")


def record_action(
    request: Request,
    action: str,
    *,
    resource: str | None = None,
    status: int = 200,
    outcome: Outcome = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append what an account route did (``detail``: never a secret). The change is made
    already: a failure to record it is logged, and the answer stands."""
    identity = current_identity(request)
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    try:
        get_store(request).accounts.audit.record(
            AuditEntry(
                actor=identity.name,
                actor_id=identity.user_id,
                action=action,
                outcome=outcome,
                status=status,
                method=request.method,
                route=f"{request.method} {path}",
                resource=resource,
                client=request.client.host if request.client else None,
                detail=detail or {},
            )
        )
    except Exception:
        log.exception("could not record the audit event %s", action)


@router.get("", response_model=AuditPage)
def list_events(
    request: Request,
    actor: str | None = Query(default=None, description="A user name, or 'anonymous'."),
    action: str | None = Query(
        default=None,
        description="e.g. sign_in, sign_in.failed, key.create, grant.set, write; "
        "'key.*' matches a family.",
    ),
    outcome: str | None = Query(default=None, description="ok, denied or failed"),
    resource: str | None = Query(default=None, description="e.g. project:mnist, model:clf"),
    since: float | None = Query(default=None, description="From this time (epoch seconds)."),
    until: float | None = Query(default=None, description="Before this time (epoch seconds)."),
    limit: int = Query(default=100, ge=1, le=1000),
    page_token: str | None = Query(default=None, description="next_page_token of a page."),
    store: Store = Depends(get_store),
) -> AuditPage:
    """Audit events, newest first, matching every filter given.

    Who did what, when, from where, on what, and the outcome; paged with
    ``next_page_token``. Server admins only."""
    current_identity(request)  # only through the guard (server admins)
    return store.accounts.audit.list(
        actor=actor,
        action=action,
        outcome=outcome,
        resource=resource,
        since=since,
        until=until,
        limit=limit,
        page_token=page_token,
    )
