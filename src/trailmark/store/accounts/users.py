"""Users: creation (the first admin takes over every existing project and model), passwords,
admin and disabled flags (never leaving no enabled admin), and linked SSO identities."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from trailmark.errors import Conflict, InvalidInput, NotFound
from trailmark.store.accounts import passwords
from trailmark.store.accounts.account import Account, load_account
from trailmark.store.accounts.names import check_account_name
from trailmark.store.accounts.roles import Role
from trailmark.store.database import Database
from trailmark.store.schema import grants, projects, sessions, team_members, teams, users
from trailmark.store.schema_artifacts import registered_models
from trailmark.store.upserts import insert_id
from trailmark.validation import check_name
from trailmark.views.accounts import User

MAX_EMAIL_LENGTH = 256


def check_email(value: Any) -> str:
    email = check_name("email", value, allow_slash=False)
    if "@" not in email.strip("@") or len(email) > MAX_EMAIL_LENGTH or " " in email:
        raise InvalidInput(f"email {email!r} does not look like name@example.com")
    return email


def user_view(row: Any, team_names: list[str]) -> User:
    return User(
        id=int(row.id),
        name=row.name,
        display_name=row.display_name,
        email=row.email,
        admin=bool(row.is_admin),
        service=bool(row.is_service),
        disabled=row.disabled_at is not None,
        has_password=row.password_hash is not None,
        sso=row.oidc_subject is not None,
        teams=sorted(team_names),
        created=row.created_at,
        updated=row.updated_at,
        last_sign_in=row.last_sign_in_at,
    )


class UserStore:
    """Users of the server. Accounts are on as soon as one exists (:meth:`any`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        name: str,
        *,
        admin: bool = False,
        service: bool = False,
        password: str | None = None,
        email: str | None = None,
        display_name: str | None = None,
    ) -> Account:
        """Create a user. The first user ever created, if an admin, is also given the admin
        role on every project and registered model that exists (they keep their owner when
        accounts are switched on), in the same transaction.

        >>> store.accounts.users.create("alice", admin=True, password="a long secret!")
        """
        check_account_name("user name", name)
        if email is not None:
            check_email(email)
        if display_name is not None:
            check_name("display name", display_name)
        if service and password is not None:
            raise InvalidInput("a service account has no password: create an API key for it")
        password_hash = passwords.hash_password(password) if password is not None else None
        now = time.time()
        try:
            with self.db.write() as conn:
                first = conn.execute(select(users.c.id).limit(1)).first() is None
                if conn.execute(select(users.c.id).where(users.c.name == name)).first():
                    raise Conflict(f"a user named {name!r} exists already")
                user_id = insert_id(
                    conn,
                    insert(users).values(
                        name=name,
                        display_name=display_name,
                        email=email,
                        password_hash=password_hash,
                        is_admin=admin,
                        is_service=service,
                        created_at=now,
                        updated_at=now,
                    ),
                )
                if first and admin:
                    _take_over_everything(conn, user_id, name, now)
        except IntegrityError as exc:  # a concurrent create of the same name
            raise Conflict(f"a user named {name!r} exists already") from exc
        return Account(user_id, name, admin, service, False, frozenset())

    def any(self) -> bool:
        """Whether at least one user exists, i.e. whether accounts are on."""
        with self.db.read() as conn:
            return conn.execute(select(users.c.id).limit(1)).first() is not None

    def get(self, name: str) -> Account:
        with self.db.read() as conn:
            account = load_account(conn, users.c.name == name)
        if account is None:
            raise NotFound(f"no user named {name!r}")
        return account

    def by_id(self, user_id: int) -> Account:
        with self.db.read() as conn:
            account = load_account(conn, users.c.id == user_id)
        if account is None:
            raise NotFound(f"no user with id {user_id}")
        return account

    def info(self, name: str) -> User:
        """The full view of one user (for the API and the CLI)."""
        with self.db.read() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
            if row is None:
                raise NotFound(f"no user named {name!r}")
            return user_view(row, _team_names(conn, [row.id])[row.id])

    def list(self) -> list[User]:
        with self.db.read() as conn:
            rows = conn.execute(select(users).order_by(users.c.name)).all()
            names = _team_names(conn, None)
        return [user_view(row, names[row.id]) for row in rows]

    def set_password(self, name: str, password: str, *, keep_session: str | None = None) -> None:
        """Set ``name``'s password (at least 12 characters) and sign them out everywhere but
        in the session whose token is ``keep_session`` (the one that changed it)."""
        from trailmark.store.accounts.sessions import hash_token

        password_hash = passwords.hash_password(password)
        with self.db.write() as conn:
            row = _user_row(conn, name)
            if row.is_service:
                raise InvalidInput(f"{name!r} is a service account: it signs in with API keys")
            conn.execute(
                update(users)
                .where(users.c.id == row.id)
                .values(password_hash=password_hash, updated_at=time.time())
            )
            gone = delete(sessions).where(sessions.c.user_id == row.id)
            if keep_session is not None:
                gone = gone.where(sessions.c.token_hash != hash_token(keep_session))
            conn.execute(gone)

    def check_password(self, name: str, password: str) -> Account | None:
        """The account if ``password`` is ``name``'s and the user is enabled; else ``None``.

        An unknown name costs the same hash check as a known one. A hash made with weaker
        parameters than today's is replaced on success.
        """
        row = None
        if isinstance(name, str) and "\x00" not in name:  # no such name; PostgreSQL refuses NUL
            with self.db.read() as conn:
                row = conn.execute(
                    select(users.c.id, users.c.password_hash, users.c.disabled_at).where(
                        users.c.name == name
                    )
                ).first()
        ok, rehash = passwords.verify(row.password_hash if row else None, password)
        if not ok or row is None or row.disabled_at is not None:
            return None
        if rehash is not None:
            with self.db.write() as conn:
                conn.execute(update(users).where(users.c.id == row.id).values(password_hash=rehash))
        return self.by_id(int(row.id))

    def set_admin(self, name: str, admin: bool) -> None:
        with self.db.write() as conn:
            row = _user_row(conn, name)
            if not admin:
                _refuse_last_admin(conn, row, "take admin away from")
            conn.execute(
                update(users)
                .where(users.c.id == row.id)
                .values(is_admin=admin, updated_at=time.time())
            )

    def disable(self, name: str) -> None:
        """Disable ``name``: their password, keys and sessions stop working at once (they
        are kept, and work again after :meth:`enable`)."""
        with self.db.write() as conn:
            row = _user_row(conn, name)
            _refuse_last_admin(conn, row, "disable")
            if row.disabled_at is None:
                now = time.time()
                conn.execute(
                    update(users)
                    .where(users.c.id == row.id)
                    .values(disabled_at=now, updated_at=now)
                )

    def enable(self, name: str) -> None:
        with self.db.write() as conn:
            row = _user_row(conn, name)
            conn.execute(
                update(users)
                .where(users.c.id == row.id)
                .values(disabled_at=None, updated_at=time.time())
            )

    def set_profile(
        self, name: str, *, email: str | None = None, display_name: str | None = None
    ) -> None:
        """Change the email and display name (``None``: keep)."""
        values: dict[str, Any] = {"updated_at": time.time()}
        if email is not None:
            values["email"] = check_email(email)
        if display_name is not None:
            values["display_name"] = check_name("display name", display_name)
        with self.db.write() as conn:
            row = _user_row(conn, name)
            conn.execute(update(users).where(users.c.id == row.id).values(**values))

    def by_oidc_subject(self, subject: str) -> Account | None:
        """The user linked to the SSO identity ``subject`` ("issuer|sub"), if any."""
        if "\x00" in subject:
            return None
        with self.db.read() as conn:
            return load_account(conn, users.c.oidc_subject == subject)

    def link_oidc(self, name: str, subject: str) -> None:
        """Link the SSO identity ``subject`` to ``name`` (Conflict if another user has it)."""
        check_name("SSO subject", subject)
        try:
            with self.db.write() as conn:
                row = _user_row(conn, name)
                holder = conn.execute(
                    select(users.c.name).where(users.c.oidc_subject == subject)
                ).scalar()
                if holder is not None and holder != name:
                    raise Conflict(f"this SSO identity is linked to another user ({holder!r})")
                conn.execute(
                    update(users)
                    .where(users.c.id == row.id)
                    .values(oidc_subject=subject, updated_at=time.time())
                )
        except IntegrityError as exc:
            raise Conflict("this SSO identity is linked to another user") from exc


def _user_row(conn: Connection, name: str) -> Any:
    row = conn.execute(select(users).where(users.c.name == name)).first()
    if row is None:
        raise NotFound(f"no user named {name!r}")
    return row


def _refuse_last_admin(conn: Connection, row: Any, verb: str) -> None:
    """Refuse a change that would leave no enabled admin. The enabled admins' rows are
    locked (PostgreSQL), so two admins demoting each other at once cannot both succeed."""
    if not row.is_admin or row.disabled_at is not None:
        return
    admins = conn.execute(
        select(users.c.id)
        .where(users.c.is_admin.is_(True), users.c.disabled_at.is_(None))
        .with_for_update()
    ).scalars()
    if not set(admins) - {row.id}:
        raise InvalidInput(
            f"cannot {verb} {row.name!r}: they are the last enabled admin; "
            "make another user admin first"
        )


def _team_names(conn: Connection, user_ids: list[int] | None) -> defaultdict[int, list[str]]:
    query = select(team_members.c.user_id, teams.c.name).join(
        teams, teams.c.id == team_members.c.team_id
    )
    if user_ids is not None:
        query = query.where(team_members.c.user_id.in_(user_ids))
    names: defaultdict[int, list[str]] = defaultdict(list)
    for user_id, team in conn.execute(query):
        names[user_id].append(team)
    return names


def _take_over_everything(conn: Connection, user_id: int, name: str, now: float) -> None:
    """Grant the first admin the admin role on every project and registered model."""
    rows = [
        {
            "resource_kind": kind,
            "resource_id": resource_id,
            "principal_kind": "user",
            "principal_id": user_id,
            "role": Role.ADMIN.value,
            "granted_by": name,
            "granted_at": now,
        }
        for kind, table in (("project", projects), ("model", registered_models))
        for resource_id in conn.execute(select(table.c.id)).scalars()
    ]
    if rows:
        conn.execute(insert(grants), rows)
