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
    secret_hint: str = Field(description="The secret's first characters.")
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
