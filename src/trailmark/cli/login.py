"""``trailmark login [URL]`` and ``trailmark logout [URL]``: get an API key for a server and
keep it where runs, ``Api`` and ``trailmark sync`` find it (:mod:`trailmark.credentials`).

Signing in with a name and password makes a new key named ``cli on <host>`` through the
server's API (``POST /api/v1/me/keys`` with basic auth); the password is sent once, over
the connection to that server, and never stored. ``--key`` keeps a key made elsewhere (the
dashboard's account page, or an admin's for a service account) after checking that the
server takes it. The secret is read without echo from a terminal, or as the first line of
standard input when it is piped (``pass show tracker | trailmark login URL --key``).
"""

from __future__ import annotations

import base64
import socket
import sys
from typing import Any

import click

from trailmark.client import Auth, Client
from trailmark.credentials import (
    API_KEY_ENV,
    StoredKey,
    bearer,
    credentials_path,
    load,
    remove,
    save,
    server_key,
)
from trailmark.errors import (
    Conflict,
    Forbidden,
    TooManyRequests,
    TrailmarkError,
    Unauthorized,
    Unavailable,
)
from trailmark.settings import ClientSettings


def _server(url: str | None) -> str:
    chosen = url or ClientSettings.from_env().url
    if not chosen:
        raise click.UsageError(
            "name the server: trailmark login http://tracker:5100 (or set TRAILMARK_URL)"
        )
    if not chosen.startswith(("http://", "https://")):
        raise click.UsageError(f"a server URL starts with http:// or https://, got {chosen!r}")
    return chosen.rstrip("/")


def _secret(prompt: str) -> str:
    """A secret, without echo from a terminal, else the first line of standard input."""
    stream = sys.stdin
    if stream.isatty():
        value = str(click.prompt(prompt, hide_input=True))
    else:
        value = stream.readline().rstrip("\r\n")
    if not value:
        raise click.UsageError(f"no {prompt.lower()} given")
    return value


def _basic(name: str, password: str) -> Auth:
    token = base64.b64encode(f"{name}:{password}".encode()).decode("ascii")
    headers = {"Authorization": f"Basic {token}"}
    return lambda: headers


def _call(url: str, auth: Auth, method: str, path: str, payload: Any = None) -> Any:
    """One request; the errors a person can act on become their message."""
    with Client(url, timeout=30.0, auth=auth) as client:
        try:
            return client.request_json(method, path, payload)
        except Conflict as exc:  # the server has no accounts
            click.echo(f"{url}: {exc.message}", err=True)
            sys.exit(0)
        except TooManyRequests as exc:
            raise click.ClickException(f"{url}: {exc.message}; try again later") from None
        except Unavailable as exc:
            raise click.ClickException(f"cannot reach {url}: {exc.message}") from None


def _key_name(given: str | None) -> str:
    return given or f"cli on {socket.gethostname() or 'this machine'}"


@click.command("login")
@click.argument("url", required=False)
@click.option("--name", help="Your user name (asked for when not given).")
@click.option(
    "--key",
    "paste_key",
    is_flag=True,
    help="Keep an API key you have (asked for, or read from standard input) instead of "
    "signing in with a password.",
)
@click.option(
    "--key-name", help="The name of the key made for this machine (default: 'cli on HOST')."
)
def login_command(url: str | None, name: str | None, paste_key: bool, key_name: str | None) -> None:
    """Sign in to a server and keep an API key for it (default server: $TRAILMARK_URL).

    Runs, trailmark.Api and `trailmark sync` then send that key to the server; the
    TRAILMARK_API_KEY variable, where set, wins over it.
    """
    server = _server(url)
    if paste_key:
        key = _secret("API key")
        try:
            listed = _call(server, bearer(key), "GET", "/api/v1/me/keys")
        except Unauthorized as exc:
            raise click.ClickException(f"{server} refused this key: {exc.message}") from None
        except TrailmarkError as exc:
            raise click.ClickException(f"{server}: {exc.message}") from None
        mine = next((k for k in listed["keys"] if key.startswith(k["prefix"])), None)
        stored = StoredKey(
            key=key,
            user=mine["user"] if mine else None,
            key_id=mine["id"] if mine else None,
            name=mine["name"] if mine else None,
        )
    else:
        user = name or str(click.prompt("Name"))
        password = _secret("Password")
        wanted = _key_name(key_name)
        try:
            made = _call(
                server, _basic(user, password), "POST", "/api/v1/me/keys", {"name": wanted}
            )
        except (Unauthorized, Forbidden) as exc:
            raise click.ClickException(
                f"{server} refused the name or password ({exc.message}). With single sign-on, "
                f"make a key in the dashboard and run: trailmark login {server} --key"
            ) from None
        except TrailmarkError as exc:
            raise click.ClickException(f"{server}: {exc.message}") from None
        view = made["api_key"]
        stored = StoredKey(key=made["key"], user=view["user"], key_id=view["id"], name=view["name"])
    try:
        replaced = load(server)
        path = save(server, stored)
    except OSError as exc:
        raise click.ClickException(f"cannot write the credentials file: {exc}") from None
    who = f" as {stored.user}" if stored.user else ""
    what = f"The API key {stored.name!r}" if stored.name else "The API key"
    click.echo(f"Signed in to {server_key(server)}{who}. {what} is kept in {path}.")
    if replaced is not None and replaced.key != stored.key and stored.key_id is not None:
        # Logging in again should not leave the old key working, forgotten, on the server.
        note = _revoke(server, replaced)
        click.echo(f"The key it replaces{note}.")
    if ClientSettings.from_env().api_key:
        click.echo(f"Note: {API_KEY_ENV} is set in this shell, and wins over that file.", err=True)


def _revoke(server: str, stored: StoredKey) -> str:
    """Revoke ``stored`` on the server with its own credentials; what to tell the user."""
    if stored.key_id is None:
        return " is not known here by its id: revoke it in the dashboard if it should stop"
    try:
        with Client(server, timeout=30.0, auth=bearer(stored.key)) as client:
            client.request("DELETE", f"/api/v1/me/keys/{stored.key_id}")
    except Unauthorized:
        return " had stopped working already"
    except TrailmarkError as exc:
        return f" could not be revoked on the server ({exc.message})"
    return " was revoked on the server"


@click.command("logout")
@click.argument("url", required=False)
@click.option(
    "--keep-key",
    is_flag=True,
    help="Only forget the key here; do not revoke it on the server.",
)
def logout_command(url: str | None, keep_key: bool) -> None:
    """Forget the API key kept for a server, and revoke it there (default: $TRAILMARK_URL)."""
    server = _server(url)
    try:
        stored = load(server)
    except OSError as exc:
        raise click.ClickException(str(exc)) from None
    if stored is None:
        click.echo(f"No key is kept for {server_key(server)} in {credentials_path()}.")
        return
    revoked = None if keep_key else _revoke(server, stored)
    remove(server)
    click.echo(
        f"Signed out of {server_key(server)}: the key was removed from {credentials_path()}."
    )
    if revoked is not None:
        click.echo(f"The key{revoked}.")
