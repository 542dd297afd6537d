"""/api/v1/auth/oidc: single sign-on. ``start`` sends the browser to the provider,
``callback`` brings it back signed in (see :mod:`trailmark.server.access.oidc`).

A user is found by their SSO identity (``"issuer|sub"``); else a user created beforehand
by an admin with the same email, which the provider says it verified, is linked once;
else a user is created, named after ``preferred_username`` (or the email's local part),
made unique. With ``--oidc-teams-claim`` the claim's team names set the user's teams at
each sign-in. Every outcome is audited (``sign_in`` via ``oidc``, or ``sign_in.failed``
with the reason); a failure goes back to the sign-in page with the reason, never a stack.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
import secrets
import unicodedata
import urllib.parse
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from trailmark.errors import Conflict, InvalidInput, NotFound, TrailmarkError
from trailmark.server.access.oidc import (
    CALLBACK_PATH,
    PENDING_COOKIE,
    PENDING_COOKIE_PATH,
    PENDING_LIFETIME_S,
    START_PATH,
    ConsumedStates,
    OidcProvider,
    PendingSignIn,
    ProviderUnavailable,
    SignInFailed,
    SsoNotConfigured,
    sso_enabled,
)
from trailmark.server.routes.auth import SESSION_LIFETIME_S, is_https, set_session_cookie
from trailmark.server.settings import ServerSettings
from trailmark.server.static import WEB_DIST
from trailmark.store.accounts.account import Account
from trailmark.store.accounts.audit import AuditEntry
from trailmark.store.secret_box import SecretBox
from trailmark.store.store import Store

log = logging.getLogger("trailmark.server.sso")

router = APIRouter(prefix="/api/v1/auth/oidc", tags=["auth"])

SIGN_IN_PAGE = "/sign-in"
"""The dashboard's sign-in page, where a failed sign-in lands with its reason."""
MAX_NAME_LENGTH = 64
_NAME_CHARACTERS = re.compile(r"[^\w.-]+")
_ERROR_CODE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class _SsoState:
    """What the routes keep per app: the provider (discovery and keys cached), the key that
    seals pending sign-ins, and the states already used."""

    provider: OidcProvider
    box: SecretBox
    consumed: ConsumedStates


def _sso(request: Request) -> _SsoState:
    state = request.app.state
    found = getattr(state, "sso", None)
    if found is None:
        settings: ServerSettings = state.settings
        found = _SsoState(
            OidcProvider.from_settings(settings),
            SecretBox.for_server(settings.secret_key, settings.data_dir),
            ConsumedStates(),
        )
        state.sso = found
    return found


@router.get("/start", response_class=RedirectResponse, status_code=302)
def start_sign_in(request: Request, next: str = "/") -> Response:
    """Start single sign-on: a redirect to the provider (authorization code flow with PKCE
    S256, state and nonce). ``next``: the dashboard path to return to afterwards."""
    settings: ServerSettings = request.app.state.settings
    try:
        if not sso_enabled(settings):
            raise SsoNotConfigured()
        sso = _sso(request)
        pending = PendingSignIn.new(next)
        url = sso.provider.authorization_url(redirect_uri(request, settings), pending)
    except (SignInFailed, SsoNotConfigured, ProviderUnavailable) as exc:
        _audit_failure(request, exc, START_PATH)
        return _failure_page(request, exc)
    except TrailmarkError as exc:  # the sso extra is missing
        return _failure_page(request, exc)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        PENDING_COOKIE,
        pending.seal(sso.box),
        max_age=PENDING_LIFETIME_S,
        path=PENDING_COOKIE_PATH,
        secure=is_https(request),
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back, not on subrequests
    )
    return response


@router.get("/callback", response_class=RedirectResponse, status_code=302)
def finish_sign_in(
    request: Request,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> Response:
    """Where the provider sends the browser back: the state is checked (once), the code
    exchanged, the ID token verified; then a session cookie and a redirect to the dashboard."""
    settings: ServerSettings = request.app.state.settings
    store: Store = request.app.state.store
    try:
        if not sso_enabled(settings):
            raise SsoNotConfigured()
        sso = _sso(request)
        pending = PendingSignIn.unseal(sso.box, request.cookies.get(PENDING_COOKIE))
        if error and not state:  # some providers leave the state out of a refusal
            raise SignInFailed(
                "provider_refused", f"the provider did not sign you in ({_error_code(error)})"
            )
        pending.check_state(state)
        sso.consumed.consume(pending)
        if error:
            raise SignInFailed(
                "provider_refused",
                f"the provider did not sign you in ({_shown(error_description or error)})",
            )
        if not code:
            raise SignInFailed("no_code", "the provider sent no sign-in code")
        claims = sso.provider.sign_in(code, redirect_uri(request, settings), pending)
        account, created = find_or_create_account(store, sso.provider.expected_issuer, claims)
        teams = sync_teams(store, account, claims, settings.oidc_teams_claim)
    except (SignInFailed, SsoNotConfigured, ProviderUnavailable) as exc:
        _audit_failure(request, exc)
        response = _failure_page(request, exc)
        _forget_pending(response, request)
        return response
    token = store.accounts.sessions.create(
        account.id,
        client=_client(request),
        user_agent=request.headers.get("user-agent"),
        lifetime_s=SESSION_LIFETIME_S,
    )
    detail: dict[str, Any] = {"via": "oidc", "issuer": sso.provider.issuer, "created": created}
    if teams is not None:
        detail["teams"] = teams
    _audit(request, AuditEntry(account.name, "sign_in", actor_id=account.id, detail=detail))
    done = RedirectResponse(pending.next_path, status_code=302)
    set_session_cookie(done, request, token)
    _forget_pending(done, request)
    return done


def redirect_uri(request: Request, settings: ServerSettings) -> str:
    """The callback's absolute URL: ``--public-url`` behind a proxy, else this request's."""
    if settings.public_url:
        return settings.public_url.rstrip("/") + CALLBACK_PATH
    return str(request.base_url).rstrip("/") + CALLBACK_PATH


def _forget_pending(response: Response, request: Request) -> None:
    response.delete_cookie(
        PENDING_COOKIE,
        path=PENDING_COOKIE_PATH,
        secure=is_https(request),
        httponly=True,
        samesite="lax",
    )


# --- accounts -------------------------------------------------------------------------


def find_or_create_account(
    store: Store, issuer: str, claims: dict[str, Any]
) -> tuple[Account, bool]:
    """The user the verified ``claims`` of ``issuer`` sign in, and whether it was created now."""
    users = store.accounts.users
    subject = f"{issuer}|{claims['sub']}"
    account = users.by_oidc_subject(subject)
    created = False
    if account is None:
        if not users.any():
            raise SignInFailed(
                "accounts_off",
                "this server has no accounts yet: an admin first runs "
                "`trailmark users create NAME --admin --email ...`, then signs in with SSO",
            )
        account = _link_provisioned(store, claims, subject)
    if account is None:
        account, created = _create_user(store, claims, subject)
    if account.disabled:
        raise SignInFailed(
            "disabled", f"the user {account.name!r} is disabled: ask an admin", actor=account.name
        )
    if account.is_service:
        raise SignInFailed(
            "service_account", "a service account cannot sign in", actor=account.name
        )
    return account, created


def _link_provisioned(store: Store, claims: dict[str, Any], subject: str) -> Account | None:
    """A user an admin created with this (provider-verified) email and no SSO identity yet:
    link it, so that an admin made with ``trailmark users create`` signs in with SSO."""
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") is not True:
        return None
    folded = email.casefold()
    matches = [
        u
        for u in store.accounts.users.list()
        if u.email and u.email.casefold() == folded and not u.sso and not u.service
    ]
    if len(matches) != 1:
        return None
    try:
        store.accounts.users.link_oidc(matches[0].name, subject)
    except Conflict:
        return store.accounts.users.by_oidc_subject(subject)
    return store.accounts.users.get(matches[0].name)


def _create_user(store: Store, claims: dict[str, Any], subject: str) -> tuple[Account, bool]:
    users = store.accounts.users
    base = name_from_claims(claims)
    email = _valid_email(claims.get("email"))
    display = claims.get("name") if isinstance(claims.get("name"), str) else None
    for candidate in _candidates(base):
        try:
            users.get(candidate)
            continue
        except NotFound:
            pass
        try:
            try:
                users.create(candidate, email=email, display_name=display or None)
            except InvalidInput:  # an email or a name the provider allows and we do not
                users.create(candidate)
        except Conflict:
            continue  # taken meanwhile
        try:
            users.link_oidc(candidate, subject)
        except Conflict:
            # The same person signed in on another replica at the same moment: theirs won.
            users.disable(candidate)
            found = users.by_oidc_subject(subject)
            if found is None:
                raise
            return found, False
        return users.get(candidate), True
    raise SignInFailed("no_free_name", f"no free user name like {base!r}: ask an admin")


def name_from_claims(claims: dict[str, Any]) -> str:
    """``preferred_username``, else the email's local part, else ``user``: letters, digits,
    ``.``, ``_`` and ``-`` only, at most 64 characters."""
    for value in (claims.get("preferred_username"), _local_part(claims.get("email"))):
        if isinstance(value, str):
            cleaned = _NAME_CHARACTERS.sub("-", unicodedata.normalize("NFC", value.strip()))
            cleaned = cleaned.strip("-.")[:MAX_NAME_LENGTH].strip("-.")
            if cleaned:
                return cleaned
    return "user"


def _local_part(email: Any) -> str | None:
    return email.split("@", 1)[0] if isinstance(email, str) and "@" in email else None


def _candidates(base: str) -> list[str]:
    stem = base[: MAX_NAME_LENGTH - 4]
    return [base] + [f"{stem}-{n}" for n in range(2, 21)] + [f"{stem}-{secrets.token_hex(3)}"]


def _valid_email(value: Any) -> str | None:
    if isinstance(value, str) and "@" in value.strip("@") and " " not in value:
        return value[:256]
    return None


def sync_teams(
    store: Store, account: Account, claims: dict[str, Any], claim: str | None
) -> list[str] | None:
    """With ``--oidc-teams-claim``: make the user a member of exactly the existing teams the
    claim names (Keycloak's ``/team`` paths read as ``team``); teams are not created. A
    token without the claim changes nothing (a provider that stopped sending it must not
    empty every team). The user's teams afterwards, or ``None`` when not synced."""
    if not claim or claim not in claims:
        return None
    value = claims[claim]
    named = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    wanted = {v.lstrip("/") for v in named if isinstance(v, str) and v.strip("/")}
    teams = store.accounts.teams
    existing = {t.name: t for t in teams.list()}
    current = {name for name, t in existing.items() if account.name in t.members}
    for name in sorted((wanted & existing.keys()) - current):
        teams.add_member(name, account.name)
    for name in sorted(current - wanted):
        with contextlib.suppress(NotFound):  # removed meanwhile
            teams.remove_member(name, account.name)
    return sorted(wanted & existing.keys())


# --- answers and audit -----------------------------------------------------------------


def _failure_page(request: Request, exc: TrailmarkError) -> Response:
    """Back to the dashboard's sign-in page, which shows the message (``?error=``) beside
    the button to try again; a plain page saying why where no dashboard is built."""
    if (WEB_DIST / "index.html").is_file():
        query = urllib.parse.urlencode({"error": f"Single sign-on failed: {exc.message}"})
        return RedirectResponse(
            f"{SIGN_IN_PAGE}?{query}", status_code=303, headers={"Cache-Control": "no-store"}
        )
    message = html.escape(exc.message)
    body = f"""<!doctype html><html><head><meta charset="utf-8">
<title>Sign-in failed · Trailmark</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Sign-in failed</h1>
<p id="sso-error">{message}</p>
<p><a href="/">Back to Trailmark</a></p>
</body></html>"""
    return HTMLResponse(body, status_code=exc.status, headers={"Cache-Control": "no-store"})


def _error_code(text: str) -> str:
    """An OAuth error code as a provider sends it (``access_denied``), nothing else: with no
    state to tie it to this sign-in, the text could come from any page."""
    return _ERROR_CODE.sub("", text)[:64] or "no reason given"


def _shown(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _audit_failure(
    request: Request,
    exc: SignInFailed | SsoNotConfigured | ProviderUnavailable,
    route: str = CALLBACK_PATH,
) -> None:
    log.warning("single sign-on failed: %s (%s)", exc.reason, exc.message)
    if exc.reason == "sso_off":
        return  # nothing to sign in to: not an attempt worth a row (anyone can ask)
    _audit(
        request,
        AuditEntry(
            exc.actor or "anonymous",
            "sign_in.failed",
            outcome="failed",
            status=exc.status,
            detail={"via": "oidc", "reason": exc.reason},
        ),
        route,
    )


def _audit(request: Request, entry: AuditEntry, route: str = CALLBACK_PATH) -> None:
    store: Store = request.app.state.store
    entry = AuditEntry(
        entry.actor,
        entry.action,
        outcome=entry.outcome,
        status=entry.status if entry.outcome != "ok" else 302,
        actor_id=entry.actor_id,
        method=request.method,
        route=f"GET {route}",
        client=_client(request),
        detail=entry.detail,
    )
    store.accounts.audit.record(entry)
