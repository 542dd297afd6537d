"""/api/v1/me, /api/v1/users, /api/v1/teams: one's own API keys and password, and the
server admins' users, service accounts' keys and teams.

Keys are shown once, in the answer that creates them (only their hash is kept); passwords
are never shown, except the one-time password of a user created without one. Every action
is written to the audit log with who did it (``key.create``, ``user.update``,
``team.member.add``...), beside the guard's own record of the request.

While no accounts exist (accounts off) there is no one to sign in as: the self-service
routes say so (409), and the first admin is made with ``trailmark users create NAME
--admin``, never through the API, so that a server someone reaches before its owner cannot
be taken over.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from trailmark.errors import Conflict, Forbidden, InvalidInput, NotFound
from trailmark.server.access.authenticate import SESSION_COOKIE, identity_of
from trailmark.server.access.rate_limit import check_sign_in_allowed
from trailmark.server.deps import get_store
from trailmark.server.identity import Identity, current_identity
from trailmark.server.models import Body
from trailmark.server.routes.audit import record_action
from trailmark.store.accounts.audit import SIGN_IN_FAILED
from trailmark.store.store import Store
from trailmark.views.accounts import (
    ApiKey,
    ApiKeyList,
    NewApiKey,
    NewUser,
    Team,
    TeamList,
    User,
    UserList,
)

router = APIRouter(prefix="/api/v1", tags=["accounts"])

MAX_KEY_DAYS = 3650

NO_ACCOUNTS = (
    "this server has no accounts: anyone who reaches it may use it, so there is no key or "
    "password to manage. Create the first admin with `trailmark users create NAME --admin`"
)


class KeyCreate(Body):
    name: str = Field(description="What the key is for, e.g. 'laptop' or 'ci on github'.")
    read_only: bool = Field(default=False, description="The key may read but never write.")
    expires_at: float | None = Field(
        default=None, description="When the key stops working (epoch seconds); null: never."
    )
    expires_in_days: int | None = Field(
        default=None, ge=1, le=MAX_KEY_DAYS, description="Or: days from now until it expires."
    )

    def expiry(self) -> float | None:
        if self.expires_at is not None and self.expires_in_days is not None:
            raise InvalidInput("give expires_at or expires_in_days, not both")
        if self.expires_in_days is not None:
            return time.time() + self.expires_in_days * 86400.0
        return self.expires_at


class PasswordChange(Body):
    current: str = Field(description="The password in use now.")
    new: str = Field(description="At least 12 characters.")


class UserCreate(Body):
    name: str
    admin: bool = False
    service: bool = Field(default=False, description="A service account: keys only.")
    password: str | None = Field(
        default=None,
        description="Unset (and not a service account): a one-time password is generated "
        "and shown in the answer, once.",
    )
    email: str | None = None
    display_name: str | None = None


class UserUpdate(Body):
    admin: bool | None = Field(default=None, description="Make or unmake a server admin.")
    disabled: bool | None = Field(
        default=None, description="A disabled user's password, keys and sessions stop working."
    )
    email: str | None = None
    display_name: str | None = None


class TeamCreate(Body):
    name: str
    description: str = ""


def signed_in_user(request: Request) -> Identity:
    """The caller, who must be a user (a FastAPI dependency of the self-service routes)."""
    identity = current_identity(request)
    if identity.user_id is not None:
        return identity
    if identity.authenticated:  # a name an authenticating proxy gave: find its account
        store: Store = get_store(request)
        with contextlib.suppress(NotFound):
            return identity_of(store.accounts.users.get(identity.name), identity.via)
    raise Conflict(NO_ACCOUNTS)


def _accounts_on(store: Store) -> None:
    """Refuse to make the first account through the API (see the module's docstring)."""
    if not store.accounts.users.any():
        raise Conflict(NO_ACCOUNTS)


# --- one's own keys and password -----------------------------------------------------------


@router.get("/me/keys", response_model=ApiKeyList)
def list_my_keys(
    me: Identity = Depends(signed_in_user), store: Store = Depends(get_store)
) -> dict[str, Any]:
    """The caller's API keys, newest first (revoked and expired ones too; never the keys)."""
    return {"keys": store.accounts.keys.list(me.name)}


@router.post("/me/keys", status_code=201, response_model=NewApiKey)
def create_my_key(
    body: KeyCreate,
    request: Request,
    me: Identity = Depends(signed_in_user),
    store: Store = Depends(get_store),
) -> dict[str, Any]:
    """A new API key for the caller, shown in this answer only.

    ``trailmark login`` calls this with the user's name and password (basic auth)."""
    if me.read_only:
        raise Forbidden("a read-only key cannot make keys")
    view, key = store.accounts.keys.create(
        me.name, body.name, read_only=body.read_only, expires_at=body.expiry()
    )
    record_action(request, "key.create", status=201, detail=_key_detail(view, me.name))
    return {"api_key": view, "key": key}


@router.delete("/me/keys/{key_id}", status_code=204)
def revoke_my_key(
    key_id: int,
    request: Request,
    me: Identity = Depends(signed_in_user),
    store: Store = Depends(get_store),
) -> Response:
    """Revoke one of the caller's keys: it stops working at once, on every replica."""
    view = store.accounts.keys.revoke(me.name, key_id)
    record_action(request, "key.revoke", status=204, detail=_key_detail(view, me.name))
    return Response(status_code=204)


@router.put("/me/password", status_code=204)
def change_my_password(
    body: PasswordChange,
    request: Request,
    me: Identity = Depends(signed_in_user),
    store: Store = Depends(get_store),
) -> Response:
    """Change the caller's password; every other session of theirs is signed out.

    A wrong current password counts as a failed sign-in (rate limited like the sign-in
    page's), so a stolen session cannot be used to guess it."""
    if me.read_only:
        raise Forbidden("a read-only key cannot change a password")
    check_sign_in_allowed(store, me.name, request.client.host if request.client else None)
    if store.accounts.users.check_password(me.name, body.current) is None:
        record_action(
            request,
            SIGN_IN_FAILED,
            status=403,
            outcome="failed",
            detail={"reason": "wrong current password"},
        )
        raise Forbidden("the current password is wrong")
    keep = request.cookies.get(SESSION_COOKIE) if me.via == "session" else None
    store.accounts.users.set_password(me.name, body.new, keep_session=keep)
    record_action(request, "password.change", status=204)
    return Response(status_code=204)


def _key_detail(view: ApiKey, user: str) -> dict[str, Any]:
    """What the audit log keeps about a key: never the key, only what tells it apart."""
    return {
        "user": user,
        "key_id": view.id,
        "key_name": view.name,
        "prefix": view.prefix,
        "read_only": view.read_only,
        "expires": view.expires,
    }


# --- users (server admins) -----------------------------------------------------------------


@router.get("/users", response_model=UserList)
def list_users(store: Store = Depends(get_store)) -> dict[str, Any]:
    """Every user, by name."""
    return {"users": store.accounts.users.list()}


@router.post("/users", status_code=201, response_model=NewUser, response_model_exclude_none=True)
def create_user(
    body: UserCreate, request: Request, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Create a user, or a service account (keys only).

    Without a password, one is generated and shown in the answer, once: hand it over, and
    have it changed."""
    _accounts_on(store)
    from trailmark.store.accounts.passwords import generate_password

    password = body.password
    generated = None
    if password is None and not body.service:
        password = generated = generate_password()
    store.accounts.users.create(
        body.name,
        admin=body.admin,
        service=body.service,
        password=password,
        email=body.email,
        display_name=body.display_name,
    )
    record_action(
        request,
        "user.create",
        status=201,
        detail={"user": body.name, "admin": body.admin, "service": body.service},
    )
    return {"user": store.accounts.users.info(body.name), "password": generated}


@router.patch("/users/{user}", response_model=User)
def update_user(
    user: str, body: UserUpdate, request: Request, store: Store = Depends(get_store)
) -> User:
    """Make or unmake a server admin, disable or enable, change the email or name.

    The last enabled admin can be neither disabled nor demoted."""
    users = store.accounts.users
    users.info(user)  # NotFound before anything changes
    changes = body.model_dump(exclude_unset=True)
    if body.admin is not None:
        users.set_admin(user, body.admin)
    if body.disabled is True:
        users.disable(user)
    elif body.disabled is False:
        users.enable(user)
    if body.email is not None or body.display_name is not None:
        users.set_profile(user, email=body.email, display_name=body.display_name)
    record_action(request, "user.update", detail={"user": user, **changes})
    return users.info(user)


@router.get("/users/{user}/keys", response_model=ApiKeyList)
def list_user_keys(user: str, store: Store = Depends(get_store)) -> dict[str, Any]:
    """A user's API keys (never the keys themselves).

    To see what a service account has, or to find a key to revoke."""
    return {"keys": store.accounts.keys.list(user)}


@router.post("/users/{user}/keys", status_code=201, response_model=NewApiKey)
def create_service_key(
    user: str, body: KeyCreate, request: Request, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """A new key for a service account (CI, a cluster), shown in this answer only.

    A person's keys are made by that person (``POST /api/v1/me/keys``)."""
    if not store.accounts.users.info(user).service:
        raise InvalidInput(
            f"{user!r} is not a service account: people make their own keys "
            "(POST /api/v1/me/keys, or `trailmark login`)"
        )
    view, key = store.accounts.keys.create(
        user, body.name, read_only=body.read_only, expires_at=body.expiry()
    )
    record_action(request, "key.create", status=201, detail=_key_detail(view, user))
    return {"api_key": view, "key": key}


@router.delete("/users/{user}/keys/{key_id}", status_code=204)
def revoke_user_key(
    user: str, key_id: int, request: Request, store: Store = Depends(get_store)
) -> Response:
    """Revoke any user's key (a leaked one, a service account's old one): at once."""
    view = store.accounts.keys.revoke(user, key_id)
    record_action(request, "key.revoke", status=204, detail=_key_detail(view, user))
    return Response(status_code=204)


# --- teams (server admins) -----------------------------------------------------------------


@router.get("/teams", response_model=TeamList)
def list_teams(store: Store = Depends(get_store)) -> dict[str, Any]:
    """Every team with its members."""
    return {"teams": store.accounts.teams.list()}


@router.post("/teams", status_code=201, response_model=Team)
def create_team(body: TeamCreate, request: Request, store: Store = Depends(get_store)) -> Team:
    """A new, empty team: grant it roles on projects and models, and add users to it."""
    _accounts_on(store)
    team = store.accounts.teams.create(body.name, body.description)
    record_action(request, "team.create", status=201, detail={"team": body.name})
    return team


@router.delete("/teams/{team}", status_code=204)
def delete_team(team: str, request: Request, store: Store = Depends(get_store)) -> Response:
    """Delete a team: its members lose the roles it was granted."""
    store.accounts.teams.delete(team)
    record_action(request, "team.delete", status=204, detail={"team": team})
    return Response(status_code=204)


@router.put("/teams/{team}/members/{user}", response_model=Team)
def add_team_member(
    team: str, user: str, request: Request, store: Store = Depends(get_store)
) -> Team:
    """Add a user to a team (nothing changes if they are in it already)."""
    store.accounts.teams.add_member(team, user)
    record_action(request, "team.member.add", detail={"team": team, "user": user})
    return store.accounts.teams.get(team)


@router.delete("/teams/{team}/members/{user}", status_code=204)
def remove_team_member(
    team: str, user: str, request: Request, store: Store = Depends(get_store)
) -> Response:
    """Remove a user from a team."""
    store.accounts.teams.remove_member(team, user)
    record_action(request, "team.member.remove", status=204, detail={"team": team, "user": user})
    return Response(status_code=204)
