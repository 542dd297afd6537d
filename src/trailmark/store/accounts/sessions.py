"""Sign-in sessions: the dashboard's cookie holds a random token; the database keeps its
sha256 only, so a copy of the database signs no one in.

A session lasts ``lifetime_s`` from sign-in (14 days by default), whatever the activity:
``last_seen_at`` tells when it was last used (written at most once a minute). A password
change, or a disabled user, ends them.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from sqlalchemy import delete, insert, select, update

from trailmark.errors import InvalidInput
from trailmark.store.accounts.account import ACCOUNT_COLUMNS, Account, account_from_rows
from trailmark.store.database import Database
from trailmark.store.schema import sessions, team_members, users

DEFAULT_LIFETIME = 14 * 86400.0
LAST_SEEN_EVERY = 60.0
_MAX_USER_AGENT = 512
_MAX_CLIENT = 128


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        user_id: int,
        *,
        client: str | None,
        user_agent: str | None,
        lifetime_s: float = DEFAULT_LIFETIME,
    ) -> str:
        """Start a session for ``user_id`` (a sign-in: it also sets their last sign-in time);
        return the token for the cookie."""
        if lifetime_s <= 0:
            raise InvalidInput("a session's lifetime must be positive")
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self.db.write() as conn:
            conn.execute(
                insert(sessions).values(
                    token_hash=hash_token(token),
                    user_id=user_id,
                    created_at=now,
                    expires_at=now + lifetime_s,
                    last_seen_at=now,
                    client=client[:_MAX_CLIENT] if client else None,
                    user_agent=user_agent[:_MAX_USER_AGENT] if user_agent else None,
                )
            )
            conn.execute(update(users).where(users.c.id == user_id).values(last_sign_in_at=now))
        return token

    def authenticate(self, token: str) -> Account | None:
        """The account of the session ``token``; ``None`` if unknown, expired, or the user
        is disabled."""
        if not isinstance(token, str) or not token or len(token) > 256:
            return None
        now = time.time()
        token_hash = hash_token(token)
        query = (
            select(*ACCOUNT_COLUMNS, sessions.c.expires_at, sessions.c.last_seen_at)
            .select_from(
                sessions.join(users, users.c.id == sessions.c.user_id).outerjoin(
                    team_members, team_members.c.user_id == users.c.id
                )
            )
            .where(sessions.c.token_hash == token_hash)
        )
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        account = account_from_rows(rows)
        if account is None or account.disabled or rows[0].expires_at <= now:
            return None
        if now - rows[0].last_seen_at >= LAST_SEEN_EVERY:
            with self.db.write() as conn:
                conn.execute(
                    update(sessions)
                    .where(sessions.c.token_hash == token_hash)
                    .values(last_seen_at=now)
                )
        return account

    def revoke(self, token: str) -> None:
        """End the session ``token`` (sign-out); an unknown token changes nothing."""
        with self.db.write() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == hash_token(token)))

    def revoke_all(self, user_id: int, *, keep: str | None = None) -> int:
        """End every session of ``user_id`` but ``keep``; how many ended."""
        query = delete(sessions).where(sessions.c.user_id == user_id)
        if keep is not None:
            query = query.where(sessions.c.token_hash != hash_token(keep))
        with self.db.write() as conn:
            return int(conn.execute(query).rowcount)

    def purge_expired(self) -> int:
        """Delete expired sessions (housekeeping); how many."""
        with self.db.write() as conn:
            return int(
                conn.execute(delete(sessions).where(sessions.c.expires_at <= time.time())).rowcount
            )
