"""/api/v1/auth: password sign-in, sign-out, and who the caller is.

Signing in sets the ``trailmark_session`` cookie: ``HttpOnly`` (no script reads it),
``SameSite=Lax`` (a page on another site does not send it with a ``POST``), ``Secure``
when the request came over HTTPS (or ``--public-url`` is an ``https`` URL, behind a proxy),
``Path=/``, for 14 days. Writes sent with it from another origin are refused anyway
(:mod:`trailmark.server.access.cross_site`). Failed attempts are audited and slowed
(:mod:`trailmark.server.access.rate_limit`): 5 failures for a name, or 20 from one
address, in 15 minutes make the next attempts 429 with ``Retry-After``.
"""

from __future__ import annotations

import importlib
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from trailmark.errors import Unauthorized
from trailmark.server.access.authenticate import SESSION_COOKIE, Credentials
from trailmark.server.access.rate_limit import check_sign_in_allowed, record_failed_sign_in
from trailmark.server.deps import get_store
from trailmark.server.identity import Identity, current_identity
from trailmark.server.models import Body
from trailmark.server.settings import ServerSettings
from trailmark.store.store import Store
from trailmark.views.accounts import Me, SsoInfo

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

SESSION_LIFETIME_S = 14 * 86400


class SignIn(Body):
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


def is_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly, through a proxy whose
    ``X-Forwarded-Proto`` the server trusts, or as ``--public-url`` says)."""
    if request.url.scheme == "https":
        return True
    public_url: str | None = getattr(request.app.state.settings, "public_url", None)
    return bool(public_url and public_url.startswith("https://"))


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """The dashboard's session cookie (see the module's docstring)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_LIFETIME_S,
        path="/",
        secure=is_https(request),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=is_https(request), httponly=True, samesite="lax"
    )


def sso_info(settings: ServerSettings) -> SsoInfo:
    """What single sign-on offers (:mod:`trailmark.server.access.oidc`), or nothing."""
    try:
        oidc = importlib.import_module("trailmark.server.access.oidc")
    except ImportError:
        return SsoInfo(enabled=False, only=False, label="")
    info: SsoInfo = oidc.sso_status(settings)
    return info


def _refuse_if_sso_only(settings: ServerSettings) -> None:
    try:
        oidc = importlib.import_module("trailmark.server.access.oidc")
    except ImportError:
        return
    oidc.refuse_password_sign_in(settings)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def me_of(request: Request, store: Store, identity: Identity) -> dict[str, Any]:
    user = None
    if identity.user_id is not None:
        user = store.accounts.users.info(identity.name)
    return {
        "accounts": request.app.state.accounts.on(),
        "user": user,
        "sso": sso_info(request.app.state.settings),
    }


@router.post("/sign-in", response_model=Me)
def sign_in(
    body: SignIn, request: Request, response: Response, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Sign in with a name and password: sets the session cookie, answers who you are.
    Too many failures for a name or from an address answer 429 with Retry-After."""
    from trailmark.store.accounts import AuditEntry

    settings: ServerSettings = request.app.state.settings
    _refuse_if_sso_only(settings)
    client = _client(request)
    check_sign_in_allowed(store, body.name, client)
    account = store.accounts.users.check_password(body.name, body.password)
    if account is None or account.disabled:
        record_failed_sign_in(
            store,
            body.name,
            client,
            via="password",
            route="POST /api/v1/auth/sign-in",
            method="POST",
        )
        raise Unauthorized("wrong user name or password")
    token = store.accounts.sessions.create(
        account.id,
        client=client,
        user_agent=request.headers.get("user-agent"),
        lifetime_s=SESSION_LIFETIME_S,
    )
    store.accounts.audit.record(
        AuditEntry(
            account.name,
            "sign_in",
            actor_id=account.id,
            method="POST",
            route="POST /api/v1/auth/sign-in",
            client=client,
            detail={"via": "password"},
        )
    )
    set_session_cookie(response, request, token)
    return {
        "accounts": True,
        "user": store.accounts.users.info(account.name),
        "sso": sso_info(settings),
    }


@router.post("/sign-out", status_code=204)
async def sign_out(request: Request, store: Store = Depends(get_store)) -> Response:
    """End this browser's session (its cookie stops working on every replica at once)."""
    token = Credentials(request.scope["headers"]).cookie
    if token:
        await run_in_threadpool(store.accounts.sessions.revoke, token)
    response = Response(status_code=204)
    clear_session_cookie(response, request)
    return response


@router.get("/me", response_model=Me)
def me(request: Request, store: Store = Depends(get_store)) -> dict[str, Any]:
    """Whether accounts are on, who you are (``user`` null: not signed in), and what single
    sign-on offers; the dashboard asks this first."""
    return me_of(request, store, current_identity(request))
