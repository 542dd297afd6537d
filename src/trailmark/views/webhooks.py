"""Webhooks and their delivery log."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from trailmark.views.base import Paged, View


class Webhook(View):
    id: int
    url: str
    events: list[str]
    model: str | None
    description: str
    active: bool
    secret_set: bool = Field(
        description="Whether a signing secret is set (always: one is made when none is given)."
    )
    secret_fingerprint: str = Field(
        description="The first 8 hex digits of the secret's SHA-256, to tell which secret is "
        'set without showing it: printf %s "$SECRET" | sha256sum | cut -c1-8'
    )
    created: float
    created_by: str
    updated: float
    secret: str | None = Field(default=None, description="Only in the answer that created it.")


class WebhookList(View):
    webhooks: list[Webhook]


class Delivery(View):
    id: int
    webhook: int
    event: str
    payload: dict[str, Any]
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    next_attempt: float | None
    last_status: int | None
    last_error: str | None
    log: list[Any]
    created: float
    finished: float | None


class DeliveriesPage(Paged):
    deliveries: list[Delivery]
