"""Roles on projects and registered models, granted to users and teams, and visibility.

What an account may do on a resource (:meth:`GrantStore.role_of`): a server admin is admin
everywhere; anyone else has the strongest of the roles granted to them and to their teams,
or viewer on an internal resource, or nothing. Grants hold the resource's id, so renaming
a project or model keeps its members; deleting one deletes its grants (the store's delete
paths do it, so a new resource that gets a reused id starts with none).
"""

from __future__ import annotations

import builtins
import time
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Executable,
    Table,
    and_,
    bindparam,
    delete,
    or_,
    select,
    update,
)

from trailmark.errors import NotFound
from trailmark.store.accounts.account import Account
from trailmark.store.accounts.roles import (
    PrincipalKind,
    ResourceKind,
    Role,
    Visibility,
    check_resource_kind,
    check_role,
    check_visibility,
    highest,
    parse_principal,
)
from trailmark.store.database import Database
from trailmark.store.schema import grants, projects, teams, users
from trailmark.store.schema_artifacts import registered_models
from trailmark.store.upserts import upsert
from trailmark.views.accounts import Grant

_TABLES: dict[str, Table] = {"project": projects, "model": registered_models}
_NOUNS = {"project": "project", "model": "registered model"}


def resource_table(kind: ResourceKind) -> Table:
    return _TABLES[check_resource_kind(kind)]


def resource_row(conn: Connection, kind: ResourceKind, name: str) -> Any:
    table = resource_table(kind)
    row = conn.execute(select(table.c.id, table.c.visibility).where(table.c.name == name)).first()
    if row is None:
        raise NotFound(f"no {_NOUNS[kind]} named {name!r}")
    return row


def forget_resource(conn: Connection, kind: ResourceKind, resource_id: int) -> None:
    """Delete the grants on a resource that is being deleted (in its transaction)."""
    conn.execute(
        delete(grants).where(grants.c.resource_kind == kind, grants.c.resource_id == resource_id)
    )


def _principal_id(conn: Connection, kind: PrincipalKind, name: str) -> int:
    table = users if kind == "user" else teams
    found = conn.execute(select(table.c.id).where(table.c.name == name)).scalar()
    if found is None:
        raise NotFound(f"no {kind} named {name!r}")
    return int(found)


def _held_by(account: Account) -> ColumnElement[bool]:
    """Grants held by ``account`` itself or by one of its teams."""
    mine = and_(grants.c.principal_kind == "user", grants.c.principal_id == account.id)
    if not account.team_ids:
        return mine
    theirs = and_(
        grants.c.principal_kind == "team", grants.c.principal_id.in_(sorted(account.team_ids))
    )
    return or_(mine, theirs)


_ROLE_QUERIES: dict[str, Executable] = {}


def _role_query(kind: ResourceKind) -> Executable:
    """The visibility of a resource and the roles held on it by a user or their teams (each
    a bind parameter): built once per kind, since every request of a signed-in client asks
    it (building the statement cost about as much as running it)."""
    cached = _ROLE_QUERIES.get(kind)
    if cached is not None:
        return cached
    table = resource_table(kind)
    held = or_(
        and_(grants.c.principal_kind == "user", grants.c.principal_id == bindparam("user_id")),
        and_(
            grants.c.principal_kind == "team",
            grants.c.principal_id.in_(bindparam("team_ids", expanding=True)),
        ),
    )
    found: Executable = (
        select(table.c.visibility, grants.c.role)
        .select_from(
            table.outerjoin(
                grants,
                and_(
                    grants.c.resource_kind == bindparam("kind"),
                    grants.c.resource_id == table.c.id,
                    held,
                ),
            )
        )
        .where(table.c.name == bindparam("name"))
    )
    _ROLE_QUERIES[kind] = found
    return found


def _visibility(value: str | None) -> Visibility:
    return Visibility(value) if value else Visibility.PRIVATE


class GrantStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def set(
        self, kind: ResourceKind, resource_name: str, principal: str, role: Role | str, *, by: str
    ) -> Grant:
        """Give ``principal`` ("user:NAME" or "team:NAME") ``role`` on the resource,
        replacing the role it had there."""
        role = check_role(role)
        principal_kind, principal_name = parse_principal(principal)
        now = time.time()
        with self.db.write() as conn:
            resource = resource_row(conn, kind, resource_name)
            principal_id = _principal_id(conn, principal_kind, principal_name)
            upsert(
                conn,
                grants,
                {
                    "resource_kind": kind,
                    "resource_id": resource.id,
                    "principal_kind": principal_kind,
                    "principal_id": principal_id,
                    "role": role.value,
                    "granted_by": by,
                    "granted_at": now,
                },
                keys=("resource_kind", "resource_id", "principal_kind", "principal_id"),
                update=("role", "granted_by", "granted_at"),
            )
        return Grant(
            principal=f"{principal_kind}:{principal_name}",
            kind=principal_kind,
            name=principal_name,
            role=role.value,
            granted_by=by,
            granted=now,
        )

    def remove(self, kind: ResourceKind, resource_name: str, principal: str) -> None:
        """Take ``principal``'s role on the resource away (NotFound if it had none)."""
        principal_kind, principal_name = parse_principal(principal)
        with self.db.write() as conn:
            resource = resource_row(conn, kind, resource_name)
            principal_id = _principal_id(conn, principal_kind, principal_name)
            gone = conn.execute(
                delete(grants).where(
                    grants.c.resource_kind == kind,
                    grants.c.resource_id == resource.id,
                    grants.c.principal_kind == principal_kind,
                    grants.c.principal_id == principal_id,
                )
            ).rowcount
        if not gone:
            raise NotFound(f"{principal} has no role on {_NOUNS[kind]} {resource_name!r}")

    def list(self, kind: ResourceKind, resource_name: str) -> list[Grant]:
        """The members of a resource: users first, then teams, by name."""
        found: list[Grant] = []
        with self.db.read() as conn:
            resource = resource_row(conn, kind, resource_name)
            for principal_kind, table in (("user", users), ("team", teams)):
                rows = conn.execute(
                    select(table.c.name, grants.c.role, grants.c.granted_by, grants.c.granted_at)
                    .join(table, table.c.id == grants.c.principal_id)
                    .where(
                        grants.c.resource_kind == kind,
                        grants.c.resource_id == resource.id,
                        grants.c.principal_kind == principal_kind,
                    )
                    .order_by(table.c.name)
                )
                found += [
                    Grant(
                        principal=f"{principal_kind}:{row.name}",
                        kind="user" if principal_kind == "user" else "team",
                        name=row.name,
                        role=Role(row.role).value,
                        granted_by=row.granted_by,
                        granted=row.granted_at,
                    )
                    for row in rows
                ]
        return found

    def role_of(self, account: Account, kind: ResourceKind, resource_name: str) -> Role | None:
        """What ``account`` may do on the resource: admin for server admins (with no query,
        whether it exists or not); else the strongest role granted to it or its teams; else
        viewer if the resource is internal; else ``None`` (also for a resource that does not
        exist: :meth:`exists` tells); ``None`` for a disabled account. One query."""
        if account.disabled:
            return None
        if account.is_admin:
            return Role.ADMIN
        parameters = {
            "kind": kind,
            "name": resource_name,
            "user_id": account.id,
            "team_ids": sorted(account.team_ids),
        }
        with self.db.read() as conn:
            rows = conn.execute(_role_query(kind), parameters).all()
        if not rows:
            return None
        granted = highest([Role(row.role) for row in rows if row.role is not None])
        if granted is None and _visibility(rows[0].visibility) is Visibility.INTERNAL:
            return Role.VIEWER
        return granted

    def exists(self, kind: ResourceKind, resource_name: str) -> bool:
        table = resource_table(kind)
        with self.db.read() as conn:
            return (
                conn.execute(select(table.c.id).where(table.c.name == resource_name)).first()
                is not None
            )

    def readable(self, account: Account, kind: ResourceKind) -> builtins.set[str] | None:
        """The names of the resources ``account`` may read; ``None`` means all (an admin)."""
        if account.is_admin and not account.disabled:
            return None
        if account.disabled:
            return set()
        table = resource_table(kind)
        granted = select(grants.c.resource_id).where(
            grants.c.resource_kind == kind, _held_by(account)
        )
        query = select(table.c.name).where(
            or_(table.c.visibility == Visibility.INTERNAL.value, table.c.id.in_(granted))
        )
        with self.db.read() as conn:
            return set(conn.execute(query).scalars())

    def set_visibility(
        self, kind: ResourceKind, resource_name: str, visibility: Visibility | str
    ) -> None:
        value = check_visibility(visibility)
        table = resource_table(kind)
        with self.db.write() as conn:
            resource = resource_row(conn, kind, resource_name)
            conn.execute(
                update(table).where(table.c.id == resource.id).values(visibility=value.value)
            )

    def visibility(self, kind: ResourceKind, resource_name: str) -> Visibility:
        with self.db.read() as conn:
            return _visibility(resource_row(conn, kind, resource_name).visibility)

    def grant_creator(self, kind: ResourceKind, resource_name: str, account: Account) -> None:
        """Make ``account`` admin of the resource it just created (a role it had is raised to
        admin; calling it again changes nothing)."""
        now = time.time()
        with self.db.write() as conn:
            resource = resource_row(conn, kind, resource_name)
            key = and_(
                grants.c.resource_kind == kind,
                grants.c.resource_id == resource.id,
                grants.c.principal_kind == "user",
                grants.c.principal_id == account.id,
            )
            role = conn.execute(select(grants.c.role).where(key)).scalar()
            if role == Role.ADMIN.value:
                return
            upsert(
                conn,
                grants,
                {
                    "resource_kind": kind,
                    "resource_id": resource.id,
                    "principal_kind": "user",
                    "principal_id": account.id,
                    "role": Role.ADMIN.value,
                    "granted_by": account.name,
                    "granted_at": now,
                },
                keys=("resource_kind", "resource_id", "principal_kind", "principal_id"),
                update=("role", "granted_by", "granted_at"),
            )
