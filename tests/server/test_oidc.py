"""ID token verification and the pending sign-in, with tokens signed here (joserfc): the
cases a real provider will not produce on request (a forged signature, ``alg: none``, an
HMAC token, several audiences). The whole flow against a real provider is in
tests/browser/test_sso.py."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from tests.ports import free_port
from trailmark.errors import Forbidden, InvalidInput
from trailmark.server.access.oidc import (
    CLOCK_LEEWAY_S,
    PENDING_LIFETIME_S,
    ConsumedStates,
    OidcProvider,
    PendingSignIn,
    ProviderUnavailable,
    SignInFailed,
    check_sso_settings,
    refuse_password_sign_in,
    safe_next_path,
    sso_status,
    verify_id_token,
)
from trailmark.server.routes.oidc import name_from_claims
from trailmark.server.settings import ServerSettings
from trailmark.store.secret_box import SecretBox

ISSUER = "https://idp.example.com"
CLIENT = "trailmark"
NONCE = "n-0S6_WzA2Mj"


@pytest.fixture(scope="module")
def signing_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


@pytest.fixture(scope="module")
def jwks(signing_key: RSAKey) -> dict[str, Any]:
    return {"keys": [signing_key.as_dict(private=False)]}


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "248289761001",
        "aud": CLIENT,
        "exp": now + 300,
        "iat": now,
        "nonce": NONCE,
        "email": "alice@example.com",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: RSAKey, payload: dict[str, Any], alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, payload, key)


def verify(token: str, jwks: dict[str, Any], **options: Any) -> dict[str, Any]:
    return verify_id_token(
        token, jwks, issuer=ISSUER, client_id=CLIENT, nonce=options.pop("nonce", NONCE), **options
    )


def refused(token: str, jwks: dict[str, Any], **options: Any) -> str:
    with pytest.raises(SignInFailed) as caught:
        verify(token, jwks, **options)
    return caught.value.reason


def test_a_good_token_gives_its_claims(signing_key: RSAKey, jwks: dict[str, Any]) -> None:
    found = verify(sign(signing_key, claims()), jwks)
    assert found["sub"] == "248289761001"
    assert found["email"] == "alice@example.com"


def test_a_token_signed_by_another_key_is_refused(jwks: dict[str, Any]) -> None:
    forger = RSAKey.generate_key(2048, parameters={"kid": "k1"})  # same kid, other key
    assert refused(sign(forger, claims()), jwks) == "bad_signature"


def test_alg_none_and_hmac_tokens_are_refused(signing_key: RSAKey, jwks: dict[str, Any]) -> None:
    good = sign(signing_key, claims())
    header, payload, _ = good.split(".")
    unsigned = f"{header.replace(header, 'eyJhbGciOiJub25lIn0')}.{payload}."  # {"alg":"none"}
    assert refused(unsigned, jwks) == "bad_token"
    # An HMAC token keyed with something the attacker knows (the public key's bytes, or a
    # client secret): only asymmetric algorithms are accepted, whatever the token says.
    secret = OctKey.import_key(b"0123456789abcdef0123456789abcdef")
    hmac_token = jwt.encode({"alg": "HS256", "kid": "k1"}, claims(), secret)
    assert refused(hmac_token, jwks, algorithms=["HS256", "RS256"]) == "bad_token"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"iss": "https://evil.example.com"}, "bad_iss"),
        ({"iss": None}, "bad_iss"),
        ({"aud": "another-client"}, "bad_aud"),
        ({"aud": None}, "bad_aud"),
        ({"nonce": "other-nonce"}, "bad_nonce"),
        ({"nonce": None}, "bad_nonce"),
        ({"sub": None}, "bad_sub"),
        ({"iat": None}, "bad_iat"),
        ({"exp": None}, "bad_exp"),
    ],
)
def test_each_claim_is_checked(
    signing_key: RSAKey, jwks: dict[str, Any], change: dict[str, Any], reason: str
) -> None:
    assert refused(sign(signing_key, claims(**change)), jwks) == reason


def test_expiry_allows_a_minute_of_clock_skew_and_no_more(
    signing_key: RSAKey, jwks: dict[str, Any]
) -> None:
    now = int(time.time())
    skewed = sign(signing_key, claims(exp=now - CLOCK_LEEWAY_S + 5, iat=now - 600))
    assert verify(skewed, jwks)["sub"]
    expired = sign(signing_key, claims(exp=now - CLOCK_LEEWAY_S - 5, iat=now - 600))
    assert refused(expired, jwks) == "expired_token"


def test_several_audiences_need_this_client_as_authorized_party(
    signing_key: RSAKey, jwks: dict[str, Any]
) -> None:
    shared = claims(aud=[CLIENT, "another-client"])
    assert refused(sign(signing_key, shared), jwks) == "bad_azp"
    assert verify(sign(signing_key, {**shared, "azp": CLIENT}), jwks)["sub"]
    assert refused(sign(signing_key, claims(azp="another-client")), jwks) == "bad_azp"


def test_pending_sign_in_is_sealed_and_expires(tmp_path: Path) -> None:
    box = SecretBox.from_key_file(tmp_path / "secret.key")
    pending = PendingSignIn.new("/projects/mnist")
    sealed = pending.seal(box)
    for secret in (pending.state, pending.nonce, pending.verifier):
        assert secret not in sealed
    assert PendingSignIn.unseal(box, sealed) == pending
    later = time.time() + PENDING_LIFETIME_S + 1
    with pytest.raises(SignInFailed) as caught:
        PendingSignIn.unseal(box, sealed, now=later)
    assert caught.value.reason == "expired_sign_in"
    other = SecretBox.from_key_file(tmp_path / "other.key")
    with pytest.raises(SignInFailed) as caught:
        PendingSignIn.unseal(other, sealed)
    assert caught.value.reason == "bad_pending_sign_in"
    with pytest.raises(SignInFailed) as caught:
        PendingSignIn.unseal(box, None)
    assert caught.value.reason == "no_pending_sign_in"
    # Something else sealed with the same key (a webhook secret) is no pending sign-in.
    with pytest.raises(SignInFailed) as caught:
        PendingSignIn.unseal(box, box.seal('{"s": "x"}'))
    assert caught.value.reason == "bad_pending_sign_in"


def test_state_must_match_and_is_used_once() -> None:
    pending = PendingSignIn.new()
    for wrong in (None, "", pending.state[:-1] + "x"):
        with pytest.raises(SignInFailed):
            pending.check_state(wrong)
    pending.check_state(pending.state)
    consumed = ConsumedStates()
    consumed.consume(pending)
    with pytest.raises(SignInFailed) as caught:
        consumed.consume(pending)
    assert caught.value.reason == "state_replayed"


@pytest.mark.parametrize(
    ("asked", "kept"),
    [
        ("/projects/mnist?tab=runs", "/projects/mnist?tab=runs"),
        ("https://evil.example.com/", "/"),
        ("//evil.example.com", "/"),
        ("/\\evil.example.com", "/"),
        ("/api/v1/projects", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_next_path_stays_on_this_server(asked: str | None, kept: str) -> None:
    assert safe_next_path(asked) == kept


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ({"preferred_username": "alice", "email": "a@x.io"}, "alice"),
        ({"email": "Bob.Smith@example.com"}, "Bob.Smith"),
        ({"preferred_username": "eve/../admin"}, "eve-..-admin"),
        ({"preferred_username": "  ", "email": "no-at-sign"}, "user"),
        ({"preferred_username": "x" * 300}, "x" * 64),
        ({}, "user"),
    ],
)
def test_new_user_names_come_from_claims(given: dict[str, Any], name: str) -> None:
    assert name_from_claims(given) == name


def test_settings_are_checked_at_start(tmp_path: Path) -> None:
    def settings(**values: Any) -> ServerSettings:
        return ServerSettings(data_dir=tmp_path, **values)

    check_sso_settings(settings())
    check_sso_settings(settings(oidc_issuer="http://127.0.0.1:9400", oidc_client_id="c"))
    problems = [
        settings(oidc_client_id="c"),
        settings(sso_only=True),
        settings(oidc_issuer=ISSUER),
        settings(oidc_issuer="http://idp.example.com", oidc_client_id="c"),
        settings(oidc_issuer=ISSUER, oidc_client_id="c", public_url="trailmark.example.com"),
    ]
    for wrong in problems:
        with pytest.raises(InvalidInput):
            check_sso_settings(wrong)


def test_status_and_sso_only(tmp_path: Path) -> None:
    off = ServerSettings(data_dir=tmp_path, sso_only=True)
    assert sso_status(off).model_dump() == {"enabled": False, "only": False, "label": "SSO"}
    refuse_password_sign_in(off)  # no SSO: --sso-only alone cannot lock everyone out
    on = ServerSettings(
        data_dir=tmp_path,
        oidc_issuer=ISSUER,
        oidc_client_id=CLIENT,
        oidc_client_secret="s3cret-value",
        oidc_label="Okta",
        sso_only=True,
    )
    assert sso_status(on).model_dump() == {"enabled": True, "only": True, "label": "Okta"}
    with pytest.raises(Forbidden, match="Sign in with Okta"):
        refuse_password_sign_in(on)
    assert "s3cret-value" not in repr(on)


class _ProviderDocuments(http.server.BaseHTTPRequestHandler):
    """Serves ``documents[path]`` as JSON and counts the requests per path."""

    documents: dict[str, Any]
    asked: dict[str, int]

    def do_GET(self) -> None:
        self.asked[self.path] = self.asked.get(self.path, 0) + 1
        body = json.dumps(self.documents[self.path]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def documents() -> Iterator[tuple[str, dict[str, Any], dict[str, int]]]:
    """A loopback provider's discovery document and JWKS, changeable by the test."""
    documents: dict[str, Any] = {}
    asked: dict[str, int] = {}
    handler = type("Docs", (_ProviderDocuments,), {"documents": documents, "asked": asked})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    documents["/.well-known/openid-configuration"] = {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/authorize",
        "token_endpoint": issuer + "/token",
        "jwks_uri": issuer + "/jwks",
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "groups"],
    }
    yield issuer, documents, asked
    server.shutdown()
    server.server_close()


def test_a_rotated_key_is_fetched_once_and_then_cached(
    documents: tuple[str, dict[str, Any], dict[str, int]], signing_key: RSAKey
) -> None:
    issuer, served, asked = documents
    served["/jwks"] = {"keys": [signing_key.as_dict(private=False)]}
    provider = OidcProvider(issuer, CLIENT, teams_claim="groups")
    payload = claims(iss=issuer)
    assert provider.verify(sign(signing_key, payload), NONCE)["sub"]
    assert provider.verify(sign(signing_key, payload), NONCE)["sub"]
    assert asked["/jwks"] == 1
    rotated = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    served["/jwks"] = {"keys": [rotated.as_dict(private=False)]}
    assert provider.verify(sign(rotated, payload), NONCE)["sub"]
    assert asked["/jwks"] == 2
    # An unknown key id does not make every request refetch: at most every 30 s.
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k3"})
    for _ in range(3):
        with pytest.raises(SignInFailed):
            provider.verify(sign(stranger, payload), NONCE)
    assert asked["/jwks"] == 2
    assert asked["/.well-known/openid-configuration"] == 1


def test_the_authorization_url_asks_for_code_with_pkce(
    documents: tuple[str, dict[str, Any], dict[str, int]],
) -> None:
    issuer, _served, _asked = documents
    provider = OidcProvider(issuer, CLIENT, "s3cret", teams_claim="groups")
    pending = PendingSignIn.new()
    url = urllib.parse.urlsplit(provider.authorization_url("http://127.0.0.1:5100/cb", pending))
    asked = dict(urllib.parse.parse_qsl(url.query))
    assert f"{url.scheme}://{url.netloc}{url.path}" == issuer + "/authorize"
    verifier_hash = hashlib.sha256(pending.verifier.encode()).digest()
    assert asked == {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": "http://127.0.0.1:5100/cb",
        "scope": "openid email profile groups",  # the teams claim's scope, as listed
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": base64.urlsafe_b64encode(verifier_hash).decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    assert "s3cret" not in repr(provider)


def test_a_discovery_document_for_another_issuer_is_refused(
    documents: tuple[str, dict[str, Any], dict[str, int]],
) -> None:
    issuer, served, _asked = documents
    served["/.well-known/openid-configuration"]["issuer"] = "https://evil.example.com"
    with pytest.raises(ProviderUnavailable, match="names issuer"):
        OidcProvider(issuer, CLIENT).metadata()


def test_an_unreachable_provider_is_a_clear_error() -> None:
    provider = OidcProvider(f"http://127.0.0.1:{free_port()}", CLIENT)
    with pytest.raises(ProviderUnavailable, match="cannot be reached"):
        provider.metadata()
