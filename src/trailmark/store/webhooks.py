"""Webhooks: where to POST registry events, and the delivery log (an outbox in the database).

A registry change and the deliveries it causes are written in one transaction
(:func:`enqueue`), so an event is never lost nor sent for a change that rolled back. The
server's delivery worker claims due deliveries (:meth:`WebhookStore.claim`, safe with many
replicas: a claimed delivery is leased), posts them, and records each attempt
(:meth:`WebhookStore.record_attempt`) with the status or error, retrying with backoff.

The store checks a URL's form only; whether its host may be reached (no loopback,
private or link-local addresses) is checked where it is resolved, in the server.
"""

from __future__ import annotations

import secrets
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, delete, func, select, update

from trailmark.errors import InvalidInput, NotFound, Unavailable
from trailmark.manifest import check_model_name
from trailmark.store.database import Database
from trailmark.store.manifests import check_page
from trailmark.store.schema_artifacts import webhook_deliveries, webhooks
from trailmark.store.secret_box import SecretBox, fingerprint
from trailmark.store.upserts import insert_id
from trailmark.validation import check_notes

EVENTS = (
    "model_created",
    "model_updated",
    "model_deleted",
    "version_created",
    "version_updated",
    "alias_moved",
    "alias_deleted",
    "stage_changed",
)
PING = "ping"
ALL = "*"
MAX_LOG_ENTRIES = 20
MAX_URL_LENGTH = 2048


def check_webhook_url(url: Any) -> str:
    """An http(s) URL with a host and no credentials in it."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"url must be an http(s) URL of at most {MAX_URL_LENGTH} characters")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"url must look like https://host/path, got {url[:100]!r}")
    if parts.username or parts.password:
        raise InvalidInput("put no credentials in the webhook URL; the payload is signed instead")
    return url


def check_events(events: Any) -> list[str]:
    if events is None:
        return [ALL]
    if not isinstance(events, list) or not events:
        raise InvalidInput(f"events must be a non-empty list of: {', '.join(EVENTS)} (or '*')")
    for event in events:
        if event != ALL and event not in EVENTS:
            raise InvalidInput(f"unknown event {event!r}; choose from {', '.join(EVENTS)} or '*'")
    return list(dict.fromkeys(events))


def webhook_view(row: Any, secret: str | None = None) -> dict[str, Any]:
    view = {
        "id": row.id,
        "url": row.url,
        "events": row.events,
        "model": row.model,
        "description": row.description,
        "active": row.active,
        "secret_set": True,
        # a NULL fingerprint: a secret stored in clear before 0007, not sealed yet
        "secret_fingerprint": row.secret_fingerprint or fingerprint(row.secret),
        "created": row.created_at,
        "created_by": row.created_by,
        "updated": row.updated_at,
    }
    if secret is not None:
        view["secret"] = secret
    return view


def delivery_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "webhook": row.webhook_id,
        "event": row.event,
        "payload": orjson.loads(row.payload),
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt": row.next_attempt_at if row.status == "pending" else None,
        "last_status": row.last_status,
        "last_error": row.last_error,
        "log": row.log,
        "created": row.created_at,
        "finished": row.finished_at,
    }


def enqueue(conn: Connection, event: str, model: str | None, payload: dict[str, Any]) -> int:
    """Queue ``payload`` for every active webhook that wants ``event`` (about ``model``)."""
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()
    now = time.time()
    rows = []
    for hook in conn.execute(select(webhooks).where(webhooks.c.active.is_(True))):
        wanted = hook.events
        if event != PING and ALL not in wanted and event not in wanted:
            continue
        if hook.model is not None and model != hook.model:
            continue
        rows.append(_delivery_row(hook.id, event, body, now))
    if rows:
        conn.execute(webhook_deliveries.insert(), rows)
    return len(rows)


def _delivery_row(webhook_id: int, event: str, body: str, now: float) -> dict[str, Any]:
    return {
        "webhook_id": webhook_id,
        "event": event,
        "payload": body,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "locked_until": None,
        "log": [],
        "created_at": now,
    }


@dataclass(frozen=True)
class Claimed:
    """A delivery leased to one worker: what to send, where, and the secret to sign it with."""

    id: int
    webhook_id: int
    event: str
    url: str
    secret: str
    body: bytes
    attempts: int


class WebhookStore:
    """Webhooks and their delivery log; signing secrets sealed with ``secrets``' key."""

    def __init__(self, db: Database, secrets: SecretBox | None = None) -> None:
        self.db = db
        self.secrets = secrets or SecretBox.unconfigured()

    def create(
        self,
        url: str,
        events: list[str] | None = None,
        model: str | None = None,
        secret: str | None = None,
        description: str = "",
        active: bool = True,
        user: str = "anonymous",
    ) -> dict[str, Any]:
        """Add a webhook; the answer shows the signing secret, this once."""
        check_webhook_url(url)
        chosen = secret or secrets.token_urlsafe(32)
        if not 16 <= len(chosen) <= 256:
            raise InvalidInput("the secret must have 16 to 256 characters (or leave it out)")
        if model is not None:
            check_model_name(model)
        now = time.time()
        with self.db.write() as conn:
            hook_id = insert_id(
                conn,
                webhooks.insert().values(
                    url=url,
                    secret=self.secrets.seal(chosen),
                    secret_fingerprint=fingerprint(chosen),
                    events=check_events(events),
                    model=model,
                    description=check_notes(description),
                    active=bool(active),
                    created_by=user,
                    created_at=now,
                    updated_at=now,
                ),
            )
            return webhook_view(self._row(conn, int(hook_id)), secret=chosen)

    def _row(self, conn: Connection, hook_id: int) -> Any:
        row = conn.execute(select(webhooks).where(webhooks.c.id == hook_id)).first()
        if row is None:
            raise NotFound(f"webhook {hook_id} does not exist")
        return row

    def list_webhooks(self) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            return [webhook_view(r) for r in conn.execute(select(webhooks).order_by(webhooks.c.id))]

    def get(self, hook_id: int) -> dict[str, Any]:
        with self.db.read() as conn:
            return webhook_view(self._row(conn, hook_id))

    def update(self, hook_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        allowed = {"url", "events", "model", "description", "active", "secret"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidInput(f"cannot change {sorted(unknown)}; changeable: {sorted(allowed)}")
        values: dict[str, Any] = {"updated_at": time.time()}
        if "url" in changes:
            values["url"] = check_webhook_url(changes["url"])
        if "events" in changes:
            values["events"] = check_events(changes["events"])
        if "model" in changes:
            model = changes["model"]
            values["model"] = check_model_name(model) if model else None
        if "description" in changes:
            values["description"] = check_notes(changes["description"])
        if "active" in changes:
            values["active"] = bool(changes["active"])
        if "secret" in changes:
            secret = changes["secret"]
            if not isinstance(secret, str) or not 16 <= len(secret) <= 256:
                raise InvalidInput("the secret must have 16 to 256 characters")
            values["secret"] = self.secrets.seal(secret)
            values["secret_fingerprint"] = fingerprint(secret)
        with self.db.write() as conn:
            self._row(conn, hook_id)
            conn.execute(update(webhooks).where(webhooks.c.id == hook_id).values(**values))
            return webhook_view(self._row(conn, hook_id))

    def delete(self, hook_id: int) -> None:
        with self.db.write() as conn:
            self._row(conn, hook_id)
            conn.execute(delete(webhooks).where(webhooks.c.id == hook_id))

    def ping(self, hook_id: int, user: str = "anonymous") -> dict[str, Any]:
        """Queue a ``ping`` event to this webhook only (to test the receiver and the secret)."""
        now = time.time()
        payload: dict[str, Any] = {
            "event": PING,
            "model": None,
            "version": None,
            "data": {},
            "user": user,
        }
        body = orjson.dumps({**payload, "created": now}, option=orjson.OPT_SORT_KEYS).decode()
        with self.db.write() as conn:
            self._row(conn, hook_id)
            delivery_id = insert_id(
                conn, webhook_deliveries.insert().values(_delivery_row(hook_id, PING, body, now))
            )
            row = conn.execute(
                select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
            ).one()
        return delivery_view(row)

    def deliveries(
        self, hook_id: int, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """The delivery log of a webhook, newest first."""
        check_page(limit, offset, most=1000)
        where = webhook_deliveries.c.webhook_id == hook_id
        with self.db.read() as conn:
            self._row(conn, hook_id)
            rows = conn.execute(
                select(webhook_deliveries)
                .where(where)
                .order_by(webhook_deliveries.c.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            total = conn.execute(select(func.count()).where(where)).scalar_one()
        return [delivery_view(r) for r in rows], int(total)

    # the delivery worker's side

    def claim(self, limit: int = 20, lease: float = 60.0) -> list[Claimed]:
        """Lease up to ``limit`` due deliveries to the caller for ``lease`` seconds."""
        now = time.time()
        due = (
            webhook_deliveries.c.status == "pending",
            webhook_deliveries.c.next_attempt_at <= now,
            (webhook_deliveries.c.locked_until.is_(None))
            | (webhook_deliveries.c.locked_until < now),
        )
        with self.db.read() as conn:  # the usual answer, without taking the write lock
            if conn.execute(select(webhook_deliveries.c.id).where(*due).limit(1)).first() is None:
                return []
        query = (
            select(
                webhook_deliveries,
                webhooks.c.url,
                webhooks.c.secret,
                webhooks.c.secret_fingerprint,
            )
            .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
            .where(*due)
            .order_by(webhook_deliveries.c.next_attempt_at)
            .limit(limit)
        )
        with self.db.write() as conn:
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=webhook_deliveries)
            rows = conn.execute(query).all()
            if rows:
                conn.execute(
                    update(webhook_deliveries)
                    .where(webhook_deliveries.c.id.in_([r.id for r in rows]))
                    .values(locked_until=now + lease)
                )
        claimed = []
        for r in rows:
            try:
                secret = self._plain_secret(r.secret, r.secret_fingerprint)
            except Unavailable as exc:  # sealed with another key: this delivery cannot be signed
                self.record_attempt(
                    r.id, ok=False, status=None, error=exc.message, retry_at=None, duration=0.0
                )
                continue
            claimed.append(
                Claimed(r.id, r.webhook_id, r.event, r.url, secret, r.payload.encode(), r.attempts)
            )
        return claimed

    def _plain_secret(self, stored: str, stored_fingerprint: str | None) -> str:
        return stored if stored_fingerprint is None else self.secrets.open(stored)

    def seal_plain_secrets(self) -> int:
        """Seal the secrets stored in clear before 0007 (their fingerprint is NULL); how many.

        The server calls it when it starts: the key lives outside the database, so the
        migration that made room for sealed secrets could not seal them itself.
        """
        plain = webhooks.c.secret_fingerprint.is_(None)
        with self.db.read() as conn:
            rows = conn.execute(select(webhooks.c.id, webhooks.c.secret).where(plain)).all()
        if not rows:
            return 0
        sealed = 0
        with self.db.write() as conn:
            for row in rows:
                done = conn.execute(
                    update(webhooks)
                    .where(webhooks.c.id == row.id, plain, webhooks.c.secret == row.secret)
                    .values(
                        secret=self.secrets.seal(row.secret),
                        secret_fingerprint=fingerprint(row.secret),
                    )
                )
                sealed += done.rowcount
        return sealed

    def record_attempt(
        self,
        delivery_id: int,
        *,
        ok: bool,
        status: int | None,
        error: str | None,
        retry_at: float | None,
        duration: float,
    ) -> None:
        """Log one attempt: delivered, failed for good (``retry_at`` None), or to retry."""
        now = time.time()
        with self.db.write() as conn:
            row = conn.execute(
                select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
            ).first()
            if row is None:
                return  # its webhook was deleted meanwhile
            entry = {"at": now, "status": status, "error": error, "duration": round(duration, 4)}
            state = "delivered" if ok else ("pending" if retry_at is not None else "failed")
            conn.execute(
                update(webhook_deliveries)
                .where(webhook_deliveries.c.id == delivery_id)
                .values(
                    status=state,
                    attempts=row.attempts + 1,
                    next_attempt_at=retry_at if retry_at is not None else row.next_attempt_at,
                    locked_until=None,
                    last_status=status,
                    last_error=error,
                    log=[*row.log, entry][-MAX_LOG_ENTRIES:],
                    finished_at=None if state == "pending" else now,
                )
            )
