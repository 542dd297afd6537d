"""Teams: named groups of users; a role granted to a team holds for each of its members."""

from __future__ import annotations

import builtins
import time
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from trailmark.errors import Conflict, InvalidInput, NotFound
from trailmark.store.accounts.names import check_account_name
from trailmark.store.database import Database
from trailmark.store.schema import grants, team_members, teams, users
from trailmark.store.upserts import insert_new
from trailmark.views.accounts import Team

MAX_DESCRIPTION = 2000


def _members(conn: Connection, team_ids: list[int] | None) -> defaultdict[int, list[str]]:
    query = select(team_members.c.team_id, users.c.name).join(
        users, users.c.id == team_members.c.user_id
    )
    if team_ids is not None:
        query = query.where(team_members.c.team_id.in_(team_ids))
    found: defaultdict[int, list[str]] = defaultdict(list)
    for team_id, name in conn.execute(query.order_by(users.c.name)):
        found[team_id].append(name)
    return found


def team_view(row: Any, members: list[str]) -> Team:
    return Team(
        id=int(row.id),
        name=row.name,
        description=row.description,
        members=members,
        created=row.created_at,
    )


def team_row(conn: Connection, name: str) -> Any:
    row = conn.execute(select(teams).where(teams.c.name == name)).first()
    if row is None:
        raise NotFound(f"no team named {name!r}")
    return row


def _user_id(conn: Connection, name: str) -> int:
    user_id = conn.execute(select(users.c.id).where(users.c.name == name)).scalar()
    if user_id is None:
        raise NotFound(f"no user named {name!r}")
    return int(user_id)


class TeamStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str, description: str = "") -> Team:
        check_account_name("team name", name)
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            raise InvalidInput(f"a description is a string of at most {MAX_DESCRIPTION} characters")
        now = time.time()
        try:
            with self.db.write() as conn:
                if conn.execute(select(teams.c.id).where(teams.c.name == name)).first():
                    raise Conflict(f"a team named {name!r} exists already")
                conn.execute(
                    insert(teams).values(name=name, description=description, created_at=now)
                )
                return team_view(team_row(conn, name), [])
        except IntegrityError as exc:
            raise Conflict(f"a team named {name!r} exists already") from exc

    def list(self) -> list[Team]:
        with self.db.read() as conn:
            rows = conn.execute(select(teams).order_by(teams.c.name)).all()
            members = _members(conn, None)
        return [team_view(row, members[row.id]) for row in rows]

    def get(self, name: str) -> Team:
        with self.db.read() as conn:
            row = team_row(conn, name)
            return team_view(row, _members(conn, [row.id])[row.id])

    def delete(self, name: str) -> None:
        """Delete a team: its members lose the roles it was granted."""
        with self.db.write() as conn:
            row = team_row(conn, name)
            conn.execute(
                delete(grants).where(
                    grants.c.principal_kind == "team", grants.c.principal_id == row.id
                )
            )
            conn.execute(delete(teams).where(teams.c.id == row.id))

    def add_member(self, team: str, user: str) -> bool:
        """Add ``user`` to ``team``; whether they were not a member already."""
        with self.db.write() as conn:
            row = team_row(conn, team)
            return insert_new(
                conn, team_members, {"team_id": row.id, "user_id": _user_id(conn, user)}
            )

    def remove_member(self, team: str, user: str) -> None:
        """Remove ``user`` from ``team`` (NotFound if they are not a member)."""
        with self.db.write() as conn:
            row = team_row(conn, team)
            gone = conn.execute(
                delete(team_members).where(
                    team_members.c.team_id == row.id, team_members.c.user_id == _user_id(conn, user)
                )
            ).rowcount
            if not gone:
                raise NotFound(f"{user!r} is not a member of team {team!r}")

    def members(self, team: str) -> builtins.list[str]:
        """The names of ``team``'s members, sorted."""
        with self.db.read() as conn:
            row = team_row(conn, team)
            return _members(conn, [row.id])[row.id]
