"""What the request guard needs to know about a user, read in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, select

from trailmark.store.schema import team_members, users


@dataclass(frozen=True)
class Account:
    """A user as the permission checks see them (``team_ids``: the teams they belong to)."""

    id: int
    name: str
    is_admin: bool
    is_service: bool
    disabled: bool
    team_ids: frozenset[int]


ACCOUNT_COLUMNS = (
    users.c.id,
    users.c.name,
    users.c.is_admin,
    users.c.is_service,
    users.c.disabled_at,
    team_members.c.team_id,
)


def account_query() -> Select[Any]:
    """Users with their team ids, one row per team (or one with a NULL team): add a WHERE."""
    return select(*ACCOUNT_COLUMNS).select_from(
        users.outerjoin(team_members, team_members.c.user_id == users.c.id)
    )


def account_from_rows(rows: Iterable[Any]) -> Account | None:
    """The :class:`Account` of rows of :func:`account_query` about one user (``None``: none)."""
    first = None
    team_ids: set[int] = set()
    for row in rows:
        first = first or row
        if row.team_id is not None:
            team_ids.add(int(row.team_id))
    if first is None:
        return None
    return Account(
        id=int(first.id),
        name=first.name,
        is_admin=bool(first.is_admin),
        is_service=bool(first.is_service),
        disabled=first.disabled_at is not None,
        team_ids=frozenset(team_ids),
    )


def load_account(conn: Connection, *where: Any) -> Account | None:
    return account_from_rows(conn.execute(account_query().where(*where)))
