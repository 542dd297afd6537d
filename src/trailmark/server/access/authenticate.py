"""Who makes a request, once accounts exist: an API key, a password, or a session cookie.

Credentials come in three ways (the first found wins):

- ``Authorization: Bearer tmk_...``: an API key (the SDK, the CLI, ``MLFLOW_TRACKING_TOKEN``);
- ``Authorization: Basic base64(name:secret)``: the secret is the user's password or one of
  their API keys (``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``);
- the ``trailmark_session`` cookie the dashboard's sign-in sets.

Wrong credentials are refused with 401 (:class:`BadCredentials`), never treated as
anonymous: a client with a revoked key must learn so, not silently see less. A disabled
user's credentials are wrong credentials. None at all: the caller is anonymous, and the
policy decides what an anonymous caller may do.

Identical key lookups in flight at once are made once (:mod:`.single_flight`: the ranks
of one job send the same key together). Checking a password costs an argon2 hash (tens of milliseconds, on purpose), and an MLflow
client with basic auth sends it on every request: a password that checked out is
remembered (by its SHA-256, never in clear) for :data:`PASSWORD_MEMORY_S` seconds; the
account is still read from the database on every request, so disabling a user takes
effect at once. Keys and cookies are looked up by their hash on every request: revoking
one takes effect at once on every replica.

The functions here are synchronous (they query the database): the guard runs them in a
worker thread.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import threading
import time
from typing import TYPE_CHECKING

from starlette.requests import cookie_parser

from trailmark.errors import NotFound, Unauthorized
from trailmark.server.access.rate_limit import check_sign_in_allowed, record_failed_sign_in
from trailmark.server.access.single_flight import SingleFlight
from trailmark.server.identity import ANONYMOUS_IDENTITY, Identity

if TYPE_CHECKING:
    from trailmark.server.settings import ServerSettings
    from trailmark.store.accounts import KeyInfo
    from trailmark.store.accounts.account import Account
    from trailmark.store.store import Store

SESSION_COOKIE = "trailmark_session"

KEY_PREFIX = "tmk_"
"""How an API key starts (a Basic secret that starts so is tried as a key)."""

PASSWORD_MEMORY_S = 60.0
"""How long a checked password is remembered (see the module's docstring)."""

_MAX_REMEMBERED = 1024


class BadCredentials(Unauthorized):
    """Credentials were sent and are wrong: unknown, revoked, expired, or a disabled user."""


def identity_of(account: Account, via: str, *, read_only: bool = False) -> Identity:
    """The :class:`Identity` of a signed-in account."""
    return Identity(
        account.name,
        authenticated=True,
        user_id=account.id,
        admin=account.is_admin,
        read_only=read_only,
        via=via,
        team_ids=account.team_ids,
        service=account.is_service,
    )


class Credentials:
    """The credentials a request carries, read from its raw ASGI headers."""

    __slots__ = ("authorization", "client", "cookie")

    def __init__(self, headers: list[tuple[bytes, bytes]], client: str | None = None) -> None:
        self.client = client
        """The caller's address: failed Basic passwords count against it (rate limit)."""
        self.authorization: str | None = None
        self.cookie: str | None = None
        for name, value in headers:
            if name == b"authorization":
                self.authorization = value.decode("latin-1")
            elif name == b"cookie":
                found = cookie_parser(value.decode("latin-1")).get(SESSION_COOKIE)
                self.cookie = found or self.cookie

    def __bool__(self) -> bool:
        return self.authorization is not None or self.cookie is not None


class Authenticator:
    """Finds the :class:`Identity` of a request from its credentials, against the store.

    Example::

        identity = Authenticator(store).identify(Credentials(scope["headers"]))
    """

    def __init__(self, store: Store, settings: ServerSettings | None = None) -> None:
        self._store = store
        self._settings = settings
        self._passwords: dict[bytes, tuple[int, float]] = {}
        self._keys: SingleFlight[tuple[Account, KeyInfo] | None] = SingleFlight()
        self._lock = threading.Lock()

    def identify(self, credentials: Credentials, *, strict: bool = True) -> Identity:
        """The caller; raises :class:`BadCredentials` for wrong ones. ``strict=False`` (a
        public route): a stale session cookie is no one rather than an error, so the sign-in
        page still loads."""
        if credentials.authorization is not None:
            return self._authorization(credentials.authorization, credentials.client)
        if credentials.cookie is not None:
            account = self._store.accounts.sessions.authenticate(credentials.cookie)
            if account is not None and not account.disabled:
                return identity_of(account, "session")
            if strict:
                raise BadCredentials("your session has expired or was signed out: sign in again")
        return ANONYMOUS_IDENTITY

    def _authorization(self, header: str, client: str | None = None) -> Identity:
        scheme, _, value = header.strip().partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "bearer" and value:
            return self._key(value, "key")
        if scheme == "basic" and value:
            name, secret = _basic(value)
            if secret.startswith(KEY_PREFIX):
                identity = self._key(secret, "basic")
                if name and name != identity.name:
                    raise BadCredentials(
                        "the API key given as the password belongs to another user"
                    )
                return identity
            return self._password(name, secret, client)
        raise BadCredentials(
            "unsupported Authorization header: send 'Bearer <API key>' or 'Basic' with a "
            "user name and a password or API key"
        )

    def _key(self, key: str, via: str) -> Identity:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
        found = self._keys.run(digest, lambda: self._store.accounts.keys.authenticate(key))
        if found is None:
            raise BadCredentials(
                "the API key is unknown, revoked or expired, or its user is disabled: "
                "make a new one (trailmark login, or the dashboard's API keys page)"
            )
        account, info = found
        if account.disabled:
            raise BadCredentials("this user is disabled")
        return identity_of(account, via, read_only=info.read_only)

    def _password(self, name: str, password: str, client: str | None = None) -> Identity:
        if self._settings is not None:  # --sso-only: passwords are refused, keys work
            oidc = importlib.import_module("trailmark.server.access.oidc")
            oidc.refuse_password_sign_in(self._settings)
        digest = hashlib.sha256(f"{name}\0{password}".encode()).digest()
        now = time.monotonic()
        with self._lock:
            remembered = self._passwords.get(digest)
        if remembered is not None and remembered[1] > now:
            try:
                account = self._store.accounts.users.by_id(remembered[0])
            except NotFound:
                account = None
            if account is not None and account.name == name and not account.disabled:
                return identity_of(account, "basic")
        # A Basic password is a sign-in like the dashboard's: limited and audited the same
        # way, or guessing would simply move to this door.
        check_sign_in_allowed(self._store, name, client)
        found = self._store.accounts.users.check_password(name, password)
        if found is None or found.disabled:
            with self._lock:
                self._passwords.pop(digest, None)
            record_failed_sign_in(self._store, name, client, via="basic")
            raise BadCredentials("wrong user name or password")
        with self._lock:
            if len(self._passwords) >= _MAX_REMEMBERED:
                self._passwords = {d: v for d, v in self._passwords.items() if v[1] > now}
                if len(self._passwords) >= _MAX_REMEMBERED:
                    self._passwords.clear()
            self._passwords[digest] = (found.id, now + PASSWORD_MEMORY_S)
        return identity_of(found, "basic")

    def forget_passwords(self) -> None:
        """Drop every remembered password (after a password change on this replica)."""
        with self._lock:
            self._passwords.clear()


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise BadCredentials("the Basic credentials are not base64 of name:secret") from None
    name, colon, secret = decoded.partition(":")
    if not colon or not secret:
        raise BadCredentials("the Basic credentials must be name:secret")
    return name, secret
