"""What a caller may do once accounts exist: deny by default, by the route's permission
(:mod:`.permissions`) and the caller's role on the route's resource (:mod:`.resources`).

- ``public``: anyone. Anything else needs a signed-in caller (401 otherwise).
- A read-only API key changes nothing: ``write`` and ``admin`` routes, and every
  state-changing method of the others, are refused (403).
- ``signed_in``: any signed-in caller. ``server``: server admins (403 otherwise).
- ``read`` / ``write`` / ``admin``: at least viewer / editor / admin on the resource (server
  admins are admins of everything). A caller who may not even read the resource is told
  it does not exist: native 404 with the very answer a name that is really unknown gets
  (the guard gives both, whatever the route), so guessing names tells nothing; MLflow
  clients get MLflow's 403 ``PERMISSION_DENIED`` (and the handler's own answer for an
  unknown id). A caller who may read it but not do this gets 403.
- ``write`` on a resource that does not exist yet creates it: any signed-in writer may, and
  becomes its admin once it exists (:attr:`Verdict.create`).
- A route touching no one resource (a listing, a create with no name): any signed-in
  caller (writers only for ``write``); the handler filters what it shows.

Accounts are on when the database holds a user (:class:`AccountsSwitch`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from trailmark.errors import Forbidden, NotFound, Unauthorized
from trailmark.server.access.permissions import Permission
from trailmark.server.access.resources import INGEST_ROUTE
from trailmark.server.access.single_flight import SingleFlight
from trailmark.server.identity import Identity

if TYPE_CHECKING:
    from trailmark.server.access.resources import Resource
    from trailmark.store.accounts.account import Account
    from trailmark.store.store import Store

_ROLES: SingleFlight[str | None] = SingleFlight()
"""Identical role lookups in flight at once, made once (see :mod:`.single_flight`)."""

INGEST_ROLE_MEMORY_S: Final = 2.0
"""How long the ingest lane remembers that a caller may write to a project."""


class _Writers:
    """Who may write to which project, remembered for :data:`INGEST_ROLE_MEMORY_S` by the
    ingest lane only (a training job sends several batches a second to one project).

    Only a role that lets the batch in is remembered: a new grant applies at once, and a
    removed or lowered one stops that writer's batches within the memory (its API key is
    still checked on every batch, so revoking the key or disabling the user is immediate).
    """

    __slots__ = ("_lock", "_ranks")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ranks: dict[tuple[object, ...], tuple[float, int]] = {}

    def rank(self, held: tuple[object, ...]) -> int:
        found = self._ranks.get(held)
        if found is None or found[0] < time.monotonic():
            return 0
        return found[1]

    def remember(self, held: tuple[object, ...], rank: int) -> None:
        with self._lock:
            if len(self._ranks) > 10_000:
                self._ranks.clear()
            self._ranks[held] = (time.monotonic() + INGEST_ROLE_MEMORY_S, rank)


_WRITERS = _Writers()

RECHECK_S: Final = 2.0
"""While accounts are off, how often the guard asks the database whether a user exists."""

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})

_NEEDED_RANK: Final = {Permission.READ: 1, Permission.WRITE: 2, Permission.ADMIN: 3}
_RANKS: Final = {"viewer": 1, "editor": 2, "admin": 3}
_ROLE_NAMES: Final = {1: "viewer", 2: "editor", 3: "admin"}


class AccountsSwitch:
    """Whether accounts are on: off until the database holds a user, then on for good.

    While off, :meth:`on` costs a clock read, and a query at most every
    :data:`RECHECK_S` seconds, so a running server notices the first user soon after
    ``trailmark users create``.
    """

    __slots__ = ("_next", "_on", "_store")

    def __init__(self, store: Store, *, on: bool | None = None) -> None:
        self._store = store
        self._on = store.accounts.users.any() if on is None else on
        self._next = time.monotonic() + RECHECK_S

    def on(self) -> bool:
        if self._on:
            return True
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + RECHECK_S
        self._on = self._store.accounts.users.any()
        return self._on

    def refresh(self) -> bool:
        """Ask the database now (tests, and a command that just created the first user)."""
        self._next = 0.0
        return self.on()


@dataclass(frozen=True, slots=True)
class Verdict:
    """An admitted request: its resource, and whether it creates it (grant its creator
    admin once the answer is a success)."""

    resource: Resource | None
    create: bool = False


PUBLIC_VERDICT: Final = Verdict(None)


def account_of(identity: Identity) -> Account:
    """The store's view of a signed-in identity (what grant lookups take)."""
    from trailmark.store.accounts.account import Account

    assert identity.user_id is not None
    return Account(
        id=identity.user_id,
        name=identity.name,
        is_admin=identity.admin,
        is_service=identity.service,
        disabled=False,
        team_ids=identity.team_ids,
    )


def decide(
    store: Store,
    identity: Identity,
    permission: Permission,
    route: str,
    method: str,
    resource: Resource | None,
    *,
    mlflow: bool = False,
) -> Verdict:
    """Admit the request (a :class:`Verdict`) or raise why not (see the module's docstring)."""
    if permission is Permission.PUBLIC:
        return PUBLIC_VERDICT
    if not identity.authenticated:
        raise Unauthorized(
            f"sign in to call {route}: send an API key (Authorization: Bearer ...; "
            "trailmark login stores one) or sign in to the dashboard"
        )
    if (
        identity.read_only
        and permission is not Permission.READ
        and (permission in _NEEDED_RANK or method not in SAFE_METHODS)
    ):
        raise Forbidden(f"a read-only API key may not call {route}: use a key that may write")
    if permission is Permission.SIGNED_IN:
        return Verdict(resource)
    if permission is Permission.SERVER:
        if identity.admin:
            return Verdict(resource)
        raise Forbidden(f"only server admins may call {route}")
    needed = _NEEDED_RANK[permission]
    if resource is None:
        return Verdict(None)
    grants = store.accounts.grants
    if identity.user_id is None:  # named by a proxy header: find the account
        try:
            account = store.accounts.users.get(identity.name)
        except NotFound:
            raise Forbidden(f"{identity.name} has no account on this server") from None
    else:
        account = account_of(identity)
    if account.is_admin:
        create = permission is Permission.WRITE and not grants.exists(resource.kind, resource.name)
        return Verdict(resource, create)
    # The store's identity too: one process may serve several databases (tests, embedding).
    held = (id(store), account.id, account.team_ids, resource.kind, resource.name)
    rank = _WRITERS.rank(held) if route == INGEST_ROUTE else 0
    if not rank:
        role = _ROLES.run(held, lambda: grants.role_of(account, resource.kind, resource.name))
        rank = _RANKS[role] if role is not None else 0
        if route == INGEST_ROUTE and rank >= _NEEDED_RANK[Permission.WRITE]:
            _WRITERS.remember(held, rank)
    if rank == 0 and permission is Permission.WRITE:
        rank = _creator_rank(store, account, resource)
    if rank >= needed:
        return Verdict(resource)
    if rank == 0:
        exists = grants.exists(resource.kind, resource.name)
        if not exists and permission is Permission.WRITE:
            return Verdict(resource, create=True)
        if mlflow:
            if not exists:  # MLflow's own "does not exist" answer
                return Verdict(resource)
            raise Forbidden(f"{identity.name} may not access {resource} ({route})")
        # The same answer whether it exists or not: a guessed name tells nothing.
        raise NotFound(not_found_message(resource))
    raise Forbidden(
        f"{identity.name} is a {_ROLE_NAMES[rank]} of {resource.kind} {resource.name!r}; "
        f"{route} needs {_ROLE_NAMES[needed]}"
    )


CREATOR_WAIT_S: Final = 2.0
"""How long a write waits for the creator's role on a resource that has no member yet."""


def _creator_rank(store: Store, account: Account, resource: Resource) -> int:
    """The rank of ``account`` on a resource that another request is creating right now.

    A creator is made admin just before its answer leaves, after the resource's commit:
    for that instant the resource exists with no member at all. A second request racing
    the first (another rank of the same training job, on any replica) waits for the grant
    rather than being told the resource does not exist; a resource that has members
    already is decided at once."""
    grants = store.accounts.grants
    if not grants.exists(resource.kind, resource.name):
        return 0
    deadline = time.monotonic() + CREATOR_WAIT_S
    while not grants.list(resource.kind, resource.name):
        if time.monotonic() > deadline:
            return 0
        time.sleep(0.02)
    role = grants.role_of(account, resource.kind, resource.name)
    return _RANKS[role] if role is not None else 0


def not_found_message(resource: Resource) -> str:
    """What the handlers answer for a name that is unknown (so a denial reads the same)."""
    if resource.kind == "project":
        return f"project {resource.name!r} does not exist"
    return f"Registered Model with name={resource.name} not found"
