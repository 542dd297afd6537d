"""API keys: ``tmk_`` + 43 random URL-safe characters, shown once, stored as their sha256.

A key is looked up by its hash (one indexed query, joined with its user and their teams),
so checking one costs about as much as any small read: ingest does not slow down. Nothing is
cached, so a revoked key stops working at once on every replica.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from trailmark.errors import InvalidInput, NotFound
from trailmark.store.accounts.account import ACCOUNT_COLUMNS, Account, account_from_rows
from trailmark.store.accounts.names import check_label
from trailmark.store.database import Database
from trailmark.store.schema import api_keys, team_members, users
from trailmark.store.upserts import insert_id
from trailmark.views.accounts import ApiKey

KEY_PREFIX = "tmk_"
VISIBLE_CHARS = 12
LAST_USED_EVERY = 60.0
"""``last_used_at`` is written at most once a minute per key: not a write per request."""

_KEY_LENGTH = len(KEY_PREFIX) + 43  # token_urlsafe(32)


@dataclass(frozen=True)
class KeyInfo:
    """The key a request came with (read-only keys may not write)."""

    id: int
    name: str
    read_only: bool


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def looks_like_key(value: str) -> bool:
    """Whether ``value`` has the form of a key (a password never starts with ``tmk_`` and is
    this long by chance; basic auth uses this to tell a key from a password)."""
    return value.startswith(KEY_PREFIX) and len(value) == _KEY_LENGTH


def key_view(row: Any, user_name: str, now: float | None = None) -> ApiKey:
    now = time.time() if now is None else now
    expired = row.expires_at is not None and row.expires_at <= now
    return ApiKey(
        id=int(row.id),
        name=row.name,
        prefix=row.prefix,
        user=user_name,
        read_only=bool(row.read_only),
        created=row.created_at,
        expires=row.expires_at,
        last_used=row.last_used_at,
        revoked=row.revoked_at,
        active=row.revoked_at is None and not expired,
    )


_BY_HASH = (
    select(
        *ACCOUNT_COLUMNS,
        api_keys.c.id.label("key_id"),
        api_keys.c.name.label("key_name"),
        api_keys.c.read_only,
        api_keys.c.expires_at,
        api_keys.c.revoked_at,
        api_keys.c.last_used_at,
    )
    .select_from(
        api_keys.join(users, users.c.id == api_keys.c.user_id).outerjoin(
            team_members, team_members.c.user_id == users.c.id
        )
    )
    .where(api_keys.c.key_hash == bindparam("key_hash"))
)
"""A key's account and state, by the key's hash: built once, since every request of a
signed-in client asks it (building the statement cost about as much as running it)."""


class KeyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        user_name: str,
        key_name: str,
        *,
        read_only: bool = False,
        expires_at: float | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key for ``user_name``: its view, and the key itself (show it once; only its
        hash is kept).

        >>> view, key = store.accounts.keys.create("ci", "github actions", read_only=True)
        """
        check_label("key name", key_name)
        now = time.time()
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("a key's expiry must be in the future")
        key = new_key()
        with self.db.write() as conn:
            user_id = conn.execute(select(users.c.id).where(users.c.name == user_name)).scalar()
            if user_id is None:
                raise NotFound(f"no user named {user_name!r}")
            key_id = insert_id(
                conn,
                insert(api_keys).values(
                    user_id=user_id,
                    name=key_name,
                    prefix=key[:VISIBLE_CHARS],
                    key_hash=hash_key(key),
                    read_only=read_only,
                    created_at=now,
                    expires_at=expires_at,
                ),
            )
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).one()
        return key_view(row, user_name, now), key

    def authenticate(self, key: str) -> tuple[Account, KeyInfo] | None:
        """The account and key of ``key``; ``None`` if it is unknown, revoked, expired, or its
        user is disabled."""
        if not isinstance(key, str) or not looks_like_key(key):
            return None
        now = time.time()
        with self.db.read() as conn:
            rows = conn.execute(_BY_HASH, {"key_hash": hash_key(key)}).all()
        account = account_from_rows(rows)
        if account is None or account.disabled:
            return None
        row = rows[0]
        if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
            return None
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
            with self.db.write() as conn:
                conn.execute(
                    update(api_keys).where(api_keys.c.id == row.key_id).values(last_used_at=now)
                )
        return account, KeyInfo(int(row.key_id), row.key_name, bool(row.read_only))

    def list(self, user_name: str) -> list[ApiKey]:
        """``user_name``'s keys, newest first, revoked and expired ones included."""
        with self.db.read() as conn:
            user_id = conn.execute(select(users.c.id).where(users.c.name == user_name)).scalar()
            if user_id is None:
                raise NotFound(f"no user named {user_name!r}")
            rows = conn.execute(
                select(api_keys)
                .where(api_keys.c.user_id == user_id)
                .order_by(api_keys.c.created_at.desc(), api_keys.c.id.desc())
            ).all()
        now = time.time()
        return [key_view(row, user_name, now) for row in rows]

    def revoke(self, user_name: str, key_id: int) -> ApiKey:
        """Revoke key ``key_id`` of ``user_name`` (NotFound if it is not theirs). Revoking a
        revoked key changes nothing."""
        with self.db.write() as conn:
            row = conn.execute(
                select(api_keys)
                .join(users, users.c.id == api_keys.c.user_id)
                .where(api_keys.c.id == key_id, users.c.name == user_name)
            ).first()
            if row is None:
                raise NotFound(f"{user_name!r} has no key with id {key_id}")
            if row.revoked_at is None:
                conn.execute(
                    update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=time.time())
                )
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).one()
        return key_view(row, user_name)
