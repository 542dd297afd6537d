"""``trailmark users | keys | teams | grant | revoke``: manage accounts straight in the
database (``--db`` or ``--data-dir``), with no server running and no sign-in: whoever can
open the database is its administrator. The first ``users create NAME --admin`` switches
accounts on. Each change is written to the audit log as ``cli:<os user>``."""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from trailmark.cli.options import setting_options
from trailmark.errors import TrailmarkError
from trailmark.server.settings import SERVER_SETTINGS
from trailmark.settings import ClientSettings

if TYPE_CHECKING:
    from trailmark.store.store import Store

F = TypeVar("F", bound=Callable[..., Any])


def _database_options(fn: F) -> F:
    return setting_options(SERVER_SETTINGS, only=("db", "data_dir"))(fn)


@contextmanager
def _store(db: str | None, data_dir: str | None) -> Iterator[Store]:
    """The store of ``--db`` (or of the data dir); typed errors become one-line messages."""
    from trailmark.store.store import Store

    directory = Path(data_dir).expanduser() if data_dir else ClientSettings.from_env().data_dir
    try:
        store = Store.open(db or None, directory)
        try:
            yield store
        finally:
            store.close()
    except TrailmarkError as exc:
        raise click.ClickException(exc.message) from None


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "cli:unknown"


def _audit(store: Store, action: str, resource: str | None = None, **detail: Any) -> None:
    from trailmark.store.accounts import AuditEntry

    store.accounts.audit.record(
        AuditEntry(actor=_actor(), action=action, resource=resource, status=200, detail=detail)
    )


def _when(timestamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp)) if timestamp else "-"


def _table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


# users


@click.group("users")
def users_group() -> None:
    """Users and service accounts. The first `users create NAME --admin` turns accounts on."""


@users_group.command("create")
@click.argument("name")
@click.option("--admin", is_flag=True, help="A server admin: every permission on everything.")
@click.option("--service", is_flag=True, help="A service account (CI, clusters): API keys only.")
@click.option("--email", help="The user's email address.")
@click.option("--display-name", help="The name shown in the dashboard.")
@_database_options
def create_user(
    name: str,
    admin: bool,
    service: bool,
    email: str | None,
    display_name: str | None,
    db: str | None,
    data_dir: str | None,
) -> None:
    """Create a user and print a one-time password (shown once: hand it over, and have them
    change it after signing in). A service account gets no password: make it a key."""
    from trailmark.store.accounts.passwords import generate_password

    password = None if service else generate_password()
    with _store(db, data_dir) as store:
        first = not store.accounts.users.any()
        store.accounts.users.create(
            name,
            admin=admin,
            service=service,
            password=password,
            email=email,
            display_name=display_name,
        )
        _audit(store, "user.create", f"user:{name}", user=name, admin=admin, service=service)
    kind = "service account" if service else ("admin" if admin else "user")
    click.echo(f"Created {kind} {name!r}.")
    if first:
        click.echo(
            "Accounts are now on: the server asks everyone to sign in"
            + (
                ", and every existing project and model now belongs to this admin."
                if admin
                else "."
            )
        )
    if password is not None:
        click.echo(f"One-time password (shown once; change it after signing in): {password}")
    else:
        click.echo(
            f"It has no password. Make it an API key: trailmark keys create --user {name} --name ci"
        )


@users_group.command("list")
@_database_options
def list_users(db: str | None, data_dir: str | None) -> None:
    """List users, their roles and teams."""
    with _store(db, data_dir) as store:
        found = store.accounts.users.list()
    if not found:
        click.echo(
            "No users: accounts are off. Create the first with `trailmark users create NAME --admin`."
        )
        return
    rows = [
        [
            u.name,
            "admin" if u.admin else ("service" if u.service else "user"),
            "disabled" if u.disabled else "active",
            ",".join(u.teams) or "-",
            u.email or "-",
            _when(u.last_sign_in),
        ]
        for u in found
    ]
    _table(rows, ["NAME", "KIND", "STATE", "TEAMS", "EMAIL", "LAST SIGN-IN"])


@users_group.command("set-password")
@click.argument("name")
@click.option("--generate", is_flag=True, help="Generate a password and print it once.")
@_database_options
def set_password(name: str, generate: bool, db: str | None, data_dir: str | None) -> None:
    """Set a user's password (asked twice, hidden), and sign them out everywhere."""
    from trailmark.store.accounts.passwords import generate_password

    with _store(db, data_dir) as store:
        store.accounts.users.info(name)  # an unknown name fails before the prompt
        if generate:
            password = generate_password()
        else:
            password = click.prompt(
                f"New password for {name}", hide_input=True, confirmation_prompt=True
            )
        store.accounts.users.set_password(name, password)
        _audit(store, "password.change", f"user:{name}", user=name)
    click.echo(f"Password of {name!r} changed; their sessions were ended.")
    if generate:
        click.echo(f"One-time password (shown once; change it after signing in): {password}")


def _set_flag(
    name: str, action: str, detail: dict[str, Any], db: str | None, data_dir: str | None
) -> None:
    with _store(db, data_dir) as store:
        users = store.accounts.users
        if "disabled" in detail:
            (users.disable if detail["disabled"] else users.enable)(name)
        else:
            users.set_admin(name, detail["admin"])
        _audit(store, action, f"user:{name}", user=name, **detail)


@users_group.command("disable")
@click.argument("name")
@_database_options
def disable_user(name: str, db: str | None, data_dir: str | None) -> None:
    """Disable a user: their password, keys and sessions stop working at once."""
    _set_flag(name, "user.update", {"disabled": True}, db, data_dir)
    click.echo(f"Disabled {name!r}.")


@users_group.command("enable")
@click.argument("name")
@_database_options
def enable_user(name: str, db: str | None, data_dir: str | None) -> None:
    """Enable a disabled user again (their keys work again)."""
    _set_flag(name, "user.update", {"disabled": False}, db, data_dir)
    click.echo(f"Enabled {name!r}.")


@users_group.command("admin")
@click.argument("name")
@click.option("--on/--off", "on", required=True, help="Make a server admin, or no longer.")
@_database_options
def admin_user(name: str, on: bool, db: str | None, data_dir: str | None) -> None:
    """Make a user a server admin (--on) or take it away (--off; never from the last one)."""
    _set_flag(name, "user.update", {"admin": on}, db, data_dir)
    click.echo(f"{name!r} is {'now' if on else 'no longer'} a server admin.")


# keys


@click.group("keys")
def keys_group() -> None:
    """API keys for the SDK, the CLI, MLflow clients and scripts (shown once, stored hashed)."""


@keys_group.command("create")
@click.option("--user", "user", required=True, help="Whose key.")
@click.option("--name", "key_name", required=True, help="What the key is for (e.g. 'ci').")
@click.option("--read-only", is_flag=True, help="The key may read, never write.")
@click.option("--expires-days", type=click.IntRange(min=1), help="Stop working after N days.")
@_database_options
def create_key(
    user: str,
    key_name: str,
    read_only: bool,
    expires_days: int | None,
    db: str | None,
    data_dir: str | None,
) -> None:
    """Create an API key and print it, once."""
    expires_at = time.time() + expires_days * 86400 if expires_days else None
    with _store(db, data_dir) as store:
        view, key = store.accounts.keys.create(
            user, key_name, read_only=read_only, expires_at=expires_at
        )
        _audit(
            store,
            "key.create",
            f"user:{user}",
            user=user,
            key_id=view.id,
            name=key_name,
            read_only=read_only,
            prefix=view.prefix,
        )
    scope = "read-only " if read_only else ""
    until = f", expires {_when(expires_at)}" if expires_at else ""
    click.echo(f"Created {scope}key {view.id} {key_name!r} for {user!r}{until}.")
    click.echo(f"Key (shown once; it cannot be shown again): {key}")
    click.echo("Use it as TRAILMARK_API_KEY, or as MLFLOW_TRACKING_TOKEN for MLflow clients.")


@keys_group.command("list")
@click.option("--user", "user", required=True, help="Whose keys.")
@_database_options
def list_keys(user: str, db: str | None, data_dir: str | None) -> None:
    """List a user's keys (their visible start, never the keys)."""
    with _store(db, data_dir) as store:
        found = store.accounts.keys.list(user)
    if not found:
        click.echo(f"{user!r} has no API keys.")
        return
    rows = [
        [
            str(k.id),
            k.name,
            k.prefix + "…",
            "read-only" if k.read_only else "read-write",
            "revoked" if k.revoked else ("active" if k.active else "expired"),
            _when(k.created),
            _when(k.expires),
            _when(k.last_used),
        ]
        for k in found
    ]
    _table(rows, ["ID", "NAME", "KEY", "SCOPE", "STATE", "CREATED", "EXPIRES", "LAST USED"])


@keys_group.command("revoke")
@click.option("--user", "user", required=True, help="Whose key.")
@click.argument("key_id", type=int)
@_database_options
def revoke_key(user: str, key_id: int, db: str | None, data_dir: str | None) -> None:
    """Revoke a key: it stops working at once, on every server."""
    with _store(db, data_dir) as store:
        view = store.accounts.keys.revoke(user, key_id)
        _audit(store, "key.revoke", f"user:{user}", user=user, key_id=key_id, name=view.name)
    click.echo(f"Revoked key {key_id} {view.name!r} of {user!r}.")


# teams


@click.group("teams")
def teams_group() -> None:
    """Teams: groups of users; a role granted to a team holds for each member."""


@teams_group.command("create")
@click.argument("name")
@click.option("--description", default="", help="What the team is.")
@_database_options
def create_team(name: str, description: str, db: str | None, data_dir: str | None) -> None:
    """Create a team."""
    with _store(db, data_dir) as store:
        store.accounts.teams.create(name, description)
        _audit(store, "team.create", f"team:{name}", team=name)
    click.echo(f"Created team {name!r}.")


@teams_group.command("list")
@_database_options
def list_teams(db: str | None, data_dir: str | None) -> None:
    """List teams and their members."""
    with _store(db, data_dir) as store:
        found = store.accounts.teams.list()
    if not found:
        click.echo("No teams.")
        return
    rows = [[t.name, ", ".join(t.members) or "-", t.description or "-"] for t in found]
    _table(rows, ["TEAM", "MEMBERS", "DESCRIPTION"])


@teams_group.command("delete")
@click.argument("name")
@_database_options
def delete_team(name: str, db: str | None, data_dir: str | None) -> None:
    """Delete a team: its members lose the roles it was granted."""
    with _store(db, data_dir) as store:
        store.accounts.teams.delete(name)
        _audit(store, "team.delete", f"team:{name}", team=name)
    click.echo(f"Deleted team {name!r}.")


@teams_group.command("add")
@click.argument("team")
@click.argument("user")
@_database_options
def add_member(team: str, user: str, db: str | None, data_dir: str | None) -> None:
    """Add USER to TEAM."""
    with _store(db, data_dir) as store:
        added = store.accounts.teams.add_member(team, user)
        _audit(store, "team.member.add", f"team:{team}", team=team, user=user)
    click.echo(f"Added {user!r} to {team!r}." if added else f"{user!r} was in {team!r} already.")


@teams_group.command("remove")
@click.argument("team")
@click.argument("user")
@_database_options
def remove_member(team: str, user: str, db: str | None, data_dir: str | None) -> None:
    """Remove USER from TEAM."""
    with _store(db, data_dir) as store:
        store.accounts.teams.remove_member(team, user)
        _audit(store, "team.member.remove", f"team:{team}", team=team, user=user)
    click.echo(f"Removed {user!r} from {team!r}.")


# grants

KIND = click.Choice(["project", "model"])
ROLE = click.Choice(["viewer", "editor", "admin"])


@click.command("grant")
@click.argument("kind", type=KIND)
@click.argument("name")
@click.argument("principal")
@click.argument("role", type=ROLE)
@_database_options
def grant_command(
    kind: str, name: str, principal: str, role: str, db: str | None, data_dir: str | None
) -> None:
    """Give PRINCIPAL (user:NAME or team:NAME) ROLE on a project or registered model:
    `trailmark grant project mnist team:ml editor`."""
    from trailmark.store.accounts.roles import check_resource_kind

    with _store(db, data_dir) as store:
        store.accounts.grants.set(check_resource_kind(kind), name, principal, role, by=_actor())
        _audit(store, "grant.set", f"{kind}:{name}", principal=principal, role=role)
    click.echo(f"{principal} is now {role} of {kind} {name!r}.")


@click.command("revoke")
@click.argument("kind", type=KIND)
@click.argument("name")
@click.argument("principal")
@_database_options
def revoke_command(
    kind: str, name: str, principal: str, db: str | None, data_dir: str | None
) -> None:
    """Take PRINCIPAL's role on a project or registered model away:
    `trailmark revoke project mnist user:bob`."""
    from trailmark.store.accounts.roles import check_resource_kind

    with _store(db, data_dir) as store:
        store.accounts.grants.remove(check_resource_kind(kind), name, principal)
        _audit(store, "grant.remove", f"{kind}:{name}", principal=principal)
    click.echo(f"{principal} has no role on {kind} {name!r} any more.")


COMMANDS = [users_group, keys_group, teams_group, grant_command, revoke_command]
"""What ``trailmark`` adds from here (see :mod:`trailmark.cli.main`)."""
