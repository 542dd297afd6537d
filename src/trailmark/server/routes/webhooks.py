"""/api/v1/webhooks: where registry events are POSTed (signed), and each delivery's log.

Payloads are JSON ``{"event", "event_id", "model", "version", "data", "user", "created"}``
signed with the webhook's secret: ``X-Trailmark-Signature: sha256=HMAC-SHA256(secret, body)``.
Targets on loopback, private or link-local addresses are refused unless the server runs
with ``--webhooks-allow-private``; redirects are never followed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from trailmark.server.artifact_models import WebhookCreate, WebhookUpdate
from trailmark.server.deps import get_store
from trailmark.server.identity import current_user
from trailmark.server.paging import page
from trailmark.server.routes.registry import announce
from trailmark.server.webhook_http import resolve_target
from trailmark.store.store import Store
from trailmark.store.webhooks import check_webhook_url
from trailmark.views.webhooks import DeliveriesPage, Delivery, Webhook, WebhookList

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


def check_target(request: Request, url: str) -> None:
    check_webhook_url(url)
    resolve_target(url, request.app.state.settings.webhooks_allow_private)


@router.get("", response_model=WebhookList, response_model_exclude_unset=True)
def list_webhooks(store: Store = Depends(get_store)) -> dict[str, Any]:
    """Every webhook (secrets are not shown)."""
    return {"webhooks": store.webhooks.list_webhooks()}


@router.post("", status_code=201, response_model=Webhook, response_model_exclude_unset=True)
def create_webhook(
    body: WebhookCreate,
    request: Request,
    store: Store = Depends(get_store),
    user: str = Depends(current_user),
) -> dict[str, Any]:
    """Add a webhook for some events (all by default), optionally about one model; the answer
    shows the signing secret, this once."""
    check_target(request, body.url)
    return store.webhooks.create(
        body.url, body.events, body.model, body.secret, body.description, body.active, user
    )


@router.get("/{webhook_id}", response_model=Webhook, response_model_exclude_unset=True)
def get_webhook(webhook_id: int, store: Store = Depends(get_store)) -> dict[str, Any]:
    """One webhook."""
    return store.webhooks.get(webhook_id)


@router.patch("/{webhook_id}", response_model=Webhook, response_model_exclude_unset=True)
def update_webhook(
    webhook_id: int, body: WebhookUpdate, request: Request, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Change a webhook's URL, events, model, secret, description or whether it is active."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("url") is not None:
        check_target(request, changes["url"])
    return store.webhooks.update(webhook_id, changes)


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: int, store: Store = Depends(get_store)) -> Response:
    """Delete a webhook and its delivery log."""
    store.webhooks.delete(webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/ping", status_code=202, response_model=Delivery)
def ping(
    webhook_id: int,
    request: Request,
    store: Store = Depends(get_store),
    user: str = Depends(current_user),
) -> dict[str, Any]:
    """Queue a ``ping`` delivery to test the receiver and its signature check."""
    delivery = store.webhooks.ping(webhook_id, user)
    announce(request)
    return delivery


@router.get("/{webhook_id}/deliveries", response_model=DeliveriesPage)
def deliveries(
    webhook_id: int,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0),
    store: Store = Depends(get_store),
) -> dict[str, Any]:
    """The delivery log, newest first: payload, status, attempts, last answer or error."""
    found, total = store.webhooks.deliveries(webhook_id, limit, offset)
    return page("deliveries", found, total, offset)
