"""Single sign-on with OpenID Connect: the protocol side (no HTTP routes, no accounts).

The flow is the authorization code flow with PKCE (S256), ``state`` and ``nonce``:

1. :meth:`OidcProvider.authorization_url` sends the browser to the provider with a fresh
   :class:`PendingSignIn` (state, nonce, PKCE verifier), kept meanwhile in a short-lived
   cookie sealed with the server key (authenticated encryption: the browser can neither
   read nor forge it, and any replica can open it).
2. On the way back the callback checks the ``state`` against the cookie, once (the cookie
   is cleared and the state remembered, so the same callback URL a second time is refused),
   exchanges the code with the verifier, and :func:`verify_id_token` checks the ID token:
   signature against the provider's JWKS (from discovery), ``iss``, ``aud`` (and ``azp``),
   ``exp``/``iat`` with a minute of clock leeway, and the ``nonce``.

Protocol pieces come from maintained libraries, never hand-written JOSE: authlib (PKCE,
authorization URL) and joserfc (JWS/JWT). Both are the ``sso`` extra and are imported
only when single sign-on is configured; without them the server says
``pip install 'trailmark[sso]'``.

Example::

    provider = OidcProvider.from_settings(settings)
    pending = PendingSignIn.new()
    url = provider.authorization_url(redirect_uri, pending)   # 302 to this
    ...                                                       # back with ?code=&state=
    claims = provider.sign_in(code, redirect_uri, pending)    # verified ID token claims
"""

from __future__ import annotations

import base64
import json
import math
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from trailmark.errors import Forbidden, InvalidInput, NotFound, Unauthorized, Unavailable
from trailmark.server.settings import ServerSettings, is_loopback
from trailmark.store.secret_box import SecretBox
from trailmark.views.accounts import SsoInfo

SSO_INSTALL_HINT = "pip install 'trailmark[sso]'"
START_PATH = "/api/v1/auth/oidc/start"
CALLBACK_PATH = "/api/v1/auth/oidc/callback"
PENDING_COOKIE = "trailmark_oidc"
PENDING_COOKIE_PATH = "/api/v1/auth/oidc/"
PENDING_LIFETIME_S = 600
"""How long a started sign-in may take at the provider (typing a password, a second factor)."""
CLOCK_LEEWAY_S = 60
"""Clock difference tolerated between this server and the provider for exp/iat/nbf."""
METADATA_MAX_AGE_S = 3600
KEYS_MIN_REFRESH_S = 30
"""An ID token signed with an unknown key refetches the JWKS (key rotation), at most this often."""
HTTP_TIMEOUT_S = 10
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
"""Asymmetric algorithms only: never ``none``, never an HMAC keyed with the client secret."""
_PURPOSE = "trailmark-oidc-pending-v1"


class SignInFailed(Unauthorized):
    """The single sign-on did not prove who the user is; ``reason`` goes to the audit log."""

    code = "sso_failed"

    def __init__(self, reason: str, message: str, *, actor: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.actor = actor
        """The user the sign-in was for, once known (a disabled user): the audit's actor."""


class SsoNotConfigured(NotFound):
    """This server has no single sign-on (no ``--oidc-issuer``): the routes answer 404."""

    code = "sso_not_configured"

    def __init__(self) -> None:
        super().__init__("single sign-on is not configured on this server")
        self.reason = "sso_off"
        self.actor: str | None = None


class ProviderUnavailable(Unavailable):
    """The provider could not be reached or answered nonsense (a temporary failure)."""

    code = "sso_provider_unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.reason = "provider_unavailable"
        self.actor: str | None = None


def sso_enabled(settings: ServerSettings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def sso_status(settings: ServerSettings) -> SsoInfo:
    """What the dashboard's sign-in page needs (``GET /api/v1/auth/me``'s ``sso``)."""
    enabled = sso_enabled(settings)
    return SsoInfo(enabled=enabled, only=enabled and settings.sso_only, label=settings.oidc_label)


def refuse_password_sign_in(settings: ServerSettings) -> None:
    """Raise :class:`Forbidden` when the server runs ``--sso-only`` (a password sign-in, or a
    password sent with HTTP Basic, must be refused; API keys still work)."""
    if sso_enabled(settings) and settings.sso_only:
        raise Forbidden(
            "password sign-in is off on this server: use 'Sign in with "
            f"{settings.oidc_label}' (single sign-on), or an API key for scripts and clients"
        )


def check_sso_settings(settings: ServerSettings) -> None:
    """Refuse, at start, SSO settings that cannot work (a clear message beats a broken
    sign-in page): a half configuration, a plain-http issuer off this machine, no authlib."""
    if not settings.oidc_issuer:
        given = [
            option
            for option, value in (
                ("--oidc-client-id", settings.oidc_client_id),
                ("--oidc-client-secret", settings.oidc_client_secret),
                ("--oidc-teams-claim", settings.oidc_teams_claim),
                ("--sso-only", settings.sso_only),
            )
            if value
        ]
        if given:
            raise InvalidInput(f"{', '.join(given)} needs --oidc-issuer (see docs/sso.md)")
        return
    if not settings.oidc_client_id:
        raise InvalidInput("--oidc-issuer needs --oidc-client-id (see docs/sso.md)")
    check_provider_url("--oidc-issuer", settings.oidc_issuer)
    if settings.public_url:
        parsed = urllib.parse.urlsplit(settings.public_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InvalidInput(
                f"--public-url must be an absolute http(s) URL, got {settings.public_url!r}"
            )
    require_sso_libraries()


def check_provider_url(what: str, url: str) -> str:
    """An https URL, or http to this machine (a test provider): tokens never go in clear."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "https" and parsed.hostname:
        return url
    if parsed.scheme == "http" and parsed.hostname and is_loopback(parsed.hostname):
        return url
    raise InvalidInput(f"{what} must be an https URL (http only on loopback), got {url!r}")


def require_sso_libraries() -> None:
    """Import the ``sso`` extra, or say how to install it."""
    try:
        import authlib  # type: ignore[import-untyped]  # noqa: F401
        import joserfc  # noqa: F401
    except ImportError:
        raise Unavailable(
            f"single sign-on needs the sso extra: {SSO_INSTALL_HINT} (authlib and joserfc)"
        ) from None


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in between the redirect to the provider and the way back."""

    state: str
    nonce: str
    verifier: str
    """The PKCE code verifier; the provider sees only its S256 challenge."""
    expires_at: float
    next_path: str = "/"
    """Where the dashboard goes once signed in (a path on this server, never another site)."""

    @classmethod
    def new(cls, next_path: str = "/", now: float | None = None) -> PendingSignIn:
        require_sso_libraries()
        from authlib.common.security import (  # type: ignore[import-untyped]
            generate_token,
        )

        return cls(
            state=generate_token(43),
            nonce=generate_token(43),
            verifier=generate_token(64),
            expires_at=(time.time() if now is None else now) + PENDING_LIFETIME_S,
            next_path=safe_next_path(next_path),
        )

    def seal(self, box: SecretBox) -> str:
        return box.seal(
            json.dumps(
                {
                    "p": _PURPOSE,
                    "s": self.state,
                    "n": self.nonce,
                    "v": self.verifier,
                    "e": self.expires_at,
                    "x": self.next_path,
                }
            )
        )

    @classmethod
    def unseal(cls, box: SecretBox, sealed: str | None, now: float | None = None) -> PendingSignIn:
        """The pending sign-in in the cookie, or :class:`SignInFailed` (none, forged, stale)."""
        if not sealed:
            raise SignInFailed(
                "no_pending_sign_in",
                "this sign-in was already used or was not started in this browser: sign in again",
            )
        try:
            data = json.loads(box.open(sealed))
            if data["p"] != _PURPOSE:
                raise ValueError("another purpose")
            pending = cls(
                str(data["s"]), str(data["n"]), str(data["v"]), float(data["e"]), str(data["x"])
            )
        except (Unavailable, ValueError, KeyError, TypeError):
            raise SignInFailed(
                "bad_pending_sign_in", "this sign-in cannot be checked: sign in again"
            ) from None
        if pending.expires_at <= (time.time() if now is None else now):
            raise SignInFailed("expired_sign_in", "this sign-in took too long: sign in again")
        return pending

    def check_state(self, state: str | None) -> None:
        if not state or not secrets.compare_digest(state.encode(), self.state.encode()):
            raise SignInFailed(
                "state_mismatch",
                "this sign-in answer does not belong to the sign-in this browser started: "
                "sign in again",
            )


def safe_next_path(value: str | None) -> str:
    """A path on this server (``/projects/x``), never a URL to another site (``//evil``)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or any(c in value for c in "\\\r\n\t")
        or value.startswith("/api/")
    ):
        return "/"
    return value


class ConsumedStates:
    """States of finished sign-ins, remembered until they expire: a callback URL that comes
    back with its cookie (copied, or a race of two tabs) is still refused the second time.
    Per process; across replicas the provider's single-use code refuses the replay."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def consume(self, pending: PendingSignIn, now: float | None = None) -> None:
        moment = time.time() if now is None else now
        with self._lock:
            for state, until in list(self._until.items()):
                if until <= moment:
                    del self._until[state]
            if pending.state in self._until:
                raise SignInFailed("state_replayed", "this sign-in was already used: sign in again")
            self._until[pending.state] = pending.expires_at


def s256_challenge(verifier: str) -> str:
    require_sso_libraries()
    from authlib.oauth2.rfc7636 import (  # type: ignore[import-untyped]
        create_s256_code_challenge,
    )

    return str(create_s256_code_challenge(verifier))


def verify_id_token(
    id_token: str,
    keys: Mapping[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    algorithms: Collection[str] = ("RS256",),
    now: float | None = None,
    leeway: int = CLOCK_LEEWAY_S,
) -> dict[str, Any]:
    """The claims of ``id_token`` once its signature (by a key of the JWKS ``keys``), issuer,
    audience, authorized party, expiry, issue time and nonce are checked; else
    :class:`SignInFailed` saying which check failed (OpenID Connect Core 3.1.3.7).

    >>> verify_id_token(token, jwks, issuer="https://idp", client_id="trailmark", nonce=n)
    {'iss': 'https://idp', 'sub': '248289761001', 'aud': 'trailmark', ...}
    """
    require_sso_libraries()
    from joserfc import jwt
    from joserfc.errors import (
        BadSignatureError,
        ExpiredTokenError,
        InvalidClaimError,
        JoseError,
        MissingClaimError,
    )
    from joserfc.jwk import KeySet

    allowed = [a for a in algorithms if a in SIGNING_ALGORITHMS] or ["RS256"]
    try:
        key_set = KeySet.import_key_set(dict(keys))  # type: ignore[arg-type]
        token = jwt.decode(id_token, key_set, algorithms=allowed)
    except BadSignatureError:
        raise SignInFailed("bad_signature", "the ID token's signature is not valid") from None
    except JoseError as exc:
        raise SignInFailed(
            "bad_token", f"the ID token cannot be verified ({exc.error or type(exc).__name__})"
        ) from None
    except ValueError:
        raise SignInFailed("bad_token", "the ID token is not a signed JWT") from None
    claims = token.claims
    registry = jwt.JWTClaimsRegistry(
        now=int(time.time() if now is None else now),
        leeway=leeway,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise SignInFailed("expired_token", "the ID token has expired") from None
    except (InvalidClaimError, MissingClaimError) as exc:
        raise SignInFailed(
            f"bad_{exc.claim}",
            f"the ID token's {exc.claim!r} claim is {_claim_problem(exc)}",
        ) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SignInFailed("bad_azp", "the ID token was issued to another client (azp)")
    if "azp" in claims and claims["azp"] != client_id:
        raise SignInFailed("bad_azp", "the ID token was issued to another client (azp)")
    return claims


def _claim_problem(exc: Exception) -> str:
    from joserfc.errors import MissingClaimError

    if isinstance(exc, MissingClaimError):
        return "missing"
    return "not what this server expects"


def _kid(id_token: str) -> str | None:
    try:
        header = json.loads(base64.urlsafe_b64decode(_padded(id_token.split(".", 1)[0])))
    except (ValueError, IndexError):
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


def _padded(part: str) -> str:
    return part + "=" * (-len(part) % 4)


class OidcProvider:
    """The provider named by ``--oidc-issuer``: its discovery document and keys, cached."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str | None = None,
        *,
        teams_claim: str | None = None,
    ) -> None:
        self.issuer = check_provider_url("--oidc-issuer", issuer)
        self.client_id = client_id
        self._client_secret = client_secret
        self.teams_claim = teams_claim
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: dict[str, Any] | None = None
        self._keys_at = 0.0
        self._refreshed_at = -math.inf

    @classmethod
    def from_settings(cls, settings: ServerSettings) -> OidcProvider:
        if not sso_enabled(settings):
            raise SsoNotConfigured()
        require_sso_libraries()
        assert settings.oidc_issuer
        assert settings.oidc_client_id
        return cls(
            settings.oidc_issuer,
            settings.oidc_client_id,
            settings.oidc_client_secret,
            teams_claim=settings.oidc_teams_claim,
        )

    def __repr__(self) -> str:  # never the client secret
        return f"OidcProvider(issuer={self.issuer!r}, client_id={self.client_id!r})"

    def metadata(self) -> dict[str, Any]:
        """The discovery document (``/.well-known/openid-configuration``), checked: it must
        name this issuer, and every endpoint must be https (or loopback http)."""
        with self._lock:
            if self._metadata and time.monotonic() - self._metadata_at < METADATA_MAX_AGE_S:
                return self._metadata
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        found = _fetch_json(url)
        named = found.get("issuer")
        if not isinstance(named, str) or named.rstrip("/") != self.issuer.rstrip("/"):
            raise ProviderUnavailable(
                f"the provider's discovery document names issuer {named!r}, not "
                f"{self.issuer!r}: check --oidc-issuer"
            )
        for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = found.get(endpoint)
            if not isinstance(value, str):
                raise ProviderUnavailable(f"the provider's discovery document has no {endpoint}")
            try:
                check_provider_url(endpoint, value)
            except InvalidInput as exc:
                raise ProviderUnavailable(f"the provider's {exc.message}") from None
        with self._lock:
            self._metadata, self._metadata_at = found, time.monotonic()
        return found

    @property
    def expected_issuer(self) -> str:
        """The issuer exactly as the provider writes it in its tokens."""
        return str(self.metadata()["issuer"])

    def scopes(self) -> str:
        scopes = ["openid", "email", "profile"]
        supported = self.metadata().get("scopes_supported") or []
        if self.teams_claim and self.teams_claim in supported:
            scopes.append(self.teams_claim)  # Dex, Okta: a "groups" claim needs its scope
        return " ".join(scopes)

    def authorization_url(self, redirect_uri: str, pending: PendingSignIn) -> str:
        from authlib.oauth2.rfc6749.parameters import (  # type: ignore[import-untyped]
            prepare_grant_uri,
        )

        return str(
            prepare_grant_uri(
                self.metadata()["authorization_endpoint"],
                self.client_id,
                "code",
                redirect_uri=redirect_uri,
                scope=self.scopes(),
                state=pending.state,
                nonce=pending.nonce,
                code_challenge=s256_challenge(pending.verifier),
                code_challenge_method="S256",
            )
        )

    def exchange_code(self, code: str, redirect_uri: str, pending: PendingSignIn) -> str:
        """The ID token the token endpoint gives for ``code`` (with the PKCE verifier)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.verifier,
        }
        headers = {"Accept": "application/json"}
        if self._client_secret:
            methods = self.metadata().get("token_endpoint_auth_methods_supported") or [
                "client_secret_basic"
            ]
            if "client_secret_basic" in methods:
                # RFC 6749 2.3.1: both parts form-encoded before base64.
                pair = f"{_form(self.client_id)}:{_form(self._client_secret)}"
                headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
            else:
                form |= {"client_id": self.client_id, "client_secret": self._client_secret}
        else:
            form["client_id"] = self.client_id
        answer = _fetch_json(
            self.metadata()["token_endpoint"],
            data=urllib.parse.urlencode(form).encode(),
            headers=headers,
            errors_are_answers=True,
        )
        if "error" in answer:
            described = answer.get("error_description") or answer["error"]
            raise SignInFailed(
                "code_refused", f"the provider refused the sign-in code ({_short(described)})"
            )
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed("no_id_token", "the provider answered without an ID token")
        return id_token

    def keys(self, *, refresh: bool = False) -> dict[str, Any]:
        """The provider's JWKS, fetched again after an hour, or when ``refresh`` (a token
        names a key it lacks) unless that last happened under 30 s ago: a stream of tokens
        with made-up key ids does not make the server hammer the provider."""
        now = time.monotonic()
        with self._lock:
            if self._keys is not None:
                if not refresh and now - self._keys_at < METADATA_MAX_AGE_S:
                    return self._keys
                if refresh and now - self._refreshed_at < KEYS_MIN_REFRESH_S:
                    return self._keys
            if refresh:
                self._refreshed_at = now
        found = _fetch_json(self.metadata()["jwks_uri"])
        if not isinstance(found.get("keys"), list):
            raise ProviderUnavailable("the provider's JWKS has no keys")
        with self._lock:
            self._keys, self._keys_at = found, time.monotonic()
        return found

    def verify(self, id_token: str, nonce: str, now: float | None = None) -> dict[str, Any]:
        """:func:`verify_id_token` with this provider's keys, issuer and algorithms; a key id
        not in the cached JWKS fetches it again (the provider rotated its keys)."""
        keys = self.keys()
        kid = _kid(id_token)
        if kid is not None and kid not in {k.get("kid") for k in keys["keys"]}:
            keys = self.keys(refresh=True)
        algorithms = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        return verify_id_token(
            id_token,
            keys,
            issuer=self.expected_issuer,
            client_id=self.client_id,
            nonce=nonce,
            algorithms=algorithms,
            now=now,
        )

    def sign_in(self, code: str, redirect_uri: str, pending: PendingSignIn) -> dict[str, Any]:
        """Exchange ``code`` and verify the ID token: the claims of the signed-in user."""
        return self.verify(self.exchange_code(code, redirect_uri, pending), pending.nonce)


def _form(value: str) -> str:
    return urllib.parse.quote_plus(value)


def _short(text: Any, limit: int = 200) -> str:
    value = str(text)
    return value if len(value) <= limit else value[:limit] + "…"


def _fetch_json(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    errors_are_answers: bool = False,
) -> dict[str, Any]:
    """GET (or POST ``data``) ``url`` and parse its JSON object; the token endpoint's 400
    answers carry an OAuth error object, which ``errors_are_answers`` returns."""
    # Only https (or loopback http) URLs get here: check_provider_url on each one.
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    where = urllib.parse.urlsplit(url).netloc
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:  # noqa: S310
            body = response.read(1024 * 1024)
    except urllib.error.HTTPError as exc:
        if not errors_are_answers:
            raise ProviderUnavailable(
                f"the sign-in provider ({where}) answered {exc.code}"
            ) from None
        body = exc.read(64 * 1024)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "error" in parsed:
            return parsed
        raise ProviderUnavailable(f"the sign-in provider ({where}) answered {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProviderUnavailable(
            f"the sign-in provider ({where}) cannot be reached ({_short(reason)})"
        ) from None
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ProviderUnavailable(f"the sign-in provider ({where}) did not answer JSON")
    return parsed
