"""Single sign-on end to end: Chromium, real ``trailmark server`` processes with accounts
on, and a real OpenID Connect provider process (``oidc-provider-mock``).

Three providers, each behind its own Trailmark server: the good one; one whose tokens are
expired when issued (``--token-max-age -300``); and the good one seen through a proxy that
makes it issue every token to another client id (what a misconfigured provider, or another
app's token pushed at this one, looks like): the ID token is then genuine, signed and
fresh, and only its audience is wrong.
"""

from __future__ import annotations

import base64
import http.client
import http.server
import json
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import expect_http_errors, screenshot
from tests.ports import free_port
from tests.support import ServerProcess, wait_for
from trailmark.store.store import Store

CLIENT_ID = "trailmark"
OTHER_CLIENT_ID = "another-app"
CLIENT_SECRET = "s3cret-for-the-sso-tests"
LABEL = "Acme SSO"
ROOT_PASSWORD = "a long root password"
START = "/api/v1/auth/oidc/start"
CALLBACK = "/api/v1/auth/oidc/callback"

ALICE_SUB = "alice-0001"
ALICE: dict[str, Any] = {
    "preferred_username": "alice",
    "email": "alice@example.com",
    "email_verified": True,
    "name": "Alice Example",
    "groups": ["ml", "no-such-team"],
}


@dataclass
class Provider:
    process: subprocess.Popen[bytes]
    url: str

    def set_user(self, sub: str, claims: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.url}/users/{urllib.parse.quote(sub)}",
            data=json.dumps(claims).encode(),
            headers={"Content-Type": "application/json"},
            method="PUT",
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 204


def _discovery_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/.well-known/openid-configuration", timeout=1) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def providers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Provider]]:
    """The good provider and the one issuing expired tokens, started together."""
    logs = tmp_path_factory.mktemp("oidc-provider")
    started: dict[str, Provider] = {}
    for name, extra in (("good", []), ("expired", ["--token-max-age", "-300"])):
        port = free_port()
        with (logs / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), *extra],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started[name] = Provider(process, f"http://127.0.0.1:{port}")
    try:
        for provider in started.values():
            wait_for(partial(_discovery_answers, provider.url), 20, "the OIDC provider")
        yield started
    finally:
        for provider in started.values():
            provider.process.terminate()
            provider.process.wait(10)


class _AudienceSwap(http.server.BaseHTTPRequestHandler):
    """Forwards to the provider, naming another client wherever Trailmark names itself."""

    target: tuple[str, int]

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.replace(f"client_id={CLIENT_ID}", f"client_id={OTHER_CLIENT_ID}")
        body = body.replace(
            f"client_id={CLIENT_ID}".encode(), f"client_id={OTHER_CLIENT_ID}".encode()
        )
        headers = {k: v for k, v in self.headers.items() if k.lower() != "content-length"}
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            pair = base64.b64decode(auth[6:]).decode().replace(CLIENT_ID, OTHER_CLIENT_ID, 1)
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        connection = http.client.HTTPConnection(*self.target, timeout=10)
        connection.request(self.command, path, body=body or None, headers=headers)
        answer = connection.getresponse()
        content = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
        connection.close()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def audience_swap(providers: dict[str, Provider]) -> Iterator[str]:
    good = urllib.parse.urlsplit(providers["good"].url)
    handler = type("Swap", (_AudienceSwap,), {"target": (good.hostname, good.port)})
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{proxy.server_address[1]}"
    proxy.shutdown()
    proxy.server_close()


@dataclass
class Trailmark:
    server: ServerProcess
    root_key: str
    """An API key of the server's admin (reads the audit log)."""

    @property
    def url(self) -> str:
        return self.server.url


@dataclass
class Servers:
    main: Trailmark
    """Teams from the ``groups`` claim, ``--sso-only``."""
    expired: Trailmark
    audience: Trailmark


def _prepare(data_dir: Path) -> str:
    """Accounts on (a root admin), two teams, and an API key for root."""
    store = Store.open(None, data_dir)
    try:
        store.accounts.users.create("root", admin=True, password=ROOT_PASSWORD)
        store.accounts.teams.create("ml")
        store.accounts.teams.create("ops")
        _view, key = store.accounts.keys.create("root", "ci")
        return key
    finally:
        store.close()


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, providers: dict[str, Provider], audience_swap: str
) -> Iterator[Servers]:
    started = []
    for name, issuer in (
        ("main", providers["good"].url),
        ("expired", providers["expired"].url),
        ("audience", audience_swap),
    ):
        data_dir = tmp_path_factory.mktemp(f"sso-{name}")
        key = _prepare(data_dir)
        args = ["--oidc-issuer", issuer, "--oidc-client-id", CLIENT_ID, "--oidc-label", LABEL]
        if name == "main":
            args += ["--oidc-teams-claim", "groups", "--sso-only"]
        server = ServerProcess(
            data_dir, args=args, env={"TRAILMARK_OIDC_CLIENT_SECRET": CLIENT_SECRET}
        )
        server.spawn()
        started.append(Trailmark(server, key))
    try:
        for each in started:
            each.server.wait_healthy()
        yield Servers(*started)
    finally:
        for each in started:
            each.server.stop()


@pytest.fixture
def page(page: Page) -> Page:
    """The provider's pages load a stylesheet from a CDN: answered empty, offline."""
    page.route(
        "https://cdn.jsdelivr.net/**",
        lambda route: route.fulfill(status=200, content_type="text/css", body=""),
    )
    return page


def _me(page: Page, server: Trailmark) -> dict[str, Any]:
    answer = page.request.get(server.url + "/api/v1/auth/me")
    assert answer.ok, answer.text()
    me: dict[str, Any] = answer.json()
    return me


def _audit(server: Trailmark, action: str) -> list[dict[str, Any]]:
    """The server's audit events of ``action``, newest first."""
    request = urllib.request.Request(
        f"{server.url}/api/v1/audit?action={action}",
        headers={"Authorization": f"Bearer {server.root_key}"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        events: list[dict[str, Any]] = json.loads(answer.read())["events"]
    return events


def _authorize_at_provider(page: Page, sub: str) -> None:
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()


def _start(page: Page, server: Trailmark, next_path: str = "/", shot: str = "") -> None:
    """Click the dashboard's SSO button, on the sign-in page (the only way in: --sso-only)."""
    query = "" if next_path == "/" else "?" + urllib.parse.urlencode({"next": next_path})
    page.goto(server.url + "/sign-in" + query)
    button = page.get_by_test_id("sign-in-sso")
    assert button.inner_text() == f"Sign in with {LABEL}"
    assert page.get_by_test_id("sign-in-form").count() == 0  # --sso-only: no password form
    if shot:
        screenshot(page, shot)
    button.click()


def _back_from_provider(page: Page) -> None:
    """Wait until the browser has left the provider and the callback."""
    page.wait_for_url(lambda url: "/oauth2/" not in url and CALLBACK not in url, timeout=15000)


def _failure(page: Page, *, signed_out: bool = True) -> str:
    """The reason a failed sign-in gives, on the dashboard's sign-in page (``?error=``),
    which shows it beside the button to try again (a browser still signed in from before
    sees "Signed in" instead)."""
    _back_from_provider(page)
    url = urllib.parse.urlsplit(page.url)
    assert url.path == "/sign-in"
    reason = urllib.parse.parse_qs(url.query)["error"][0]
    if signed_out:
        assert page.get_by_test_id("sso-error").inner_text() == reason
        assert page.get_by_test_id("sign-in-sso").is_visible()
    return reason


def test_sso_sign_in_creates_the_user_and_syncs_teams(
    page: Page, servers: Servers, providers: dict[str, Provider]
) -> None:
    expect_http_errors(page)  # signed out, the dashboard's first requests answer 401
    server = servers.main
    providers["good"].set_user(ALICE_SUB, ALICE)
    authorize_urls: list[str] = []
    page.on(
        "request",
        lambda r: authorize_urls.append(r.url) if "/oauth2/authorize" in r.url else None,
    )
    _start(page, server, next_path="/models", shot="sso-sign-in")
    _authorize_at_provider(page, ALICE_SUB)
    _back_from_provider(page)
    assert urllib.parse.urlsplit(page.url).path == "/models"  # back where they were going

    asked = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize_urls[0]).query)
    assert asked["code_challenge_method"] == ["S256"]
    assert asked["client_id"] == [CLIENT_ID]
    assert len(asked["state"][0]) >= 32 and len(asked["nonce"][0]) >= 32
    assert len(asked["code_challenge"][0]) == 43  # base64url of a SHA-256, no padding

    me = _me(page, server)
    assert me["user"]["name"] == "alice"
    assert me["user"]["email"] == "alice@example.com"
    assert me["user"]["sso"] is True and me["user"]["has_password"] is False
    assert me["user"]["teams"] == ["ml"]  # "no-such-team" is not created
    assert me["sso"] == {"enabled": True, "only": True, "label": LABEL}
    session = next(c for c in page.context.cookies() if c["name"] == "trailmark_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert not any(c["name"] == "trailmark_oidc" for c in page.context.cookies())
    signed_in = _audit(server, "sign_in")
    assert signed_in[0]["actor"] == "alice"
    assert signed_in[0]["detail"] == {
        "via": "oidc",
        "issuer": providers["good"].url,
        "created": True,
        "teams": ["ml"],
    }

    # The provider now puts alice in ops only: the next sign-in moves her, same user.
    providers["good"].set_user(ALICE_SUB, {**ALICE, "groups": ["/ops"]})
    page.context.clear_cookies()
    _start(page, server)
    _authorize_at_provider(page, ALICE_SUB)
    _back_from_provider(page)
    me = _me(page, server)
    assert (me["user"]["name"], me["user"]["teams"]) == ("alice", ["ops"])


def test_a_second_person_with_the_same_name_gets_another(
    page: Page, servers: Servers, providers: dict[str, Provider]
) -> None:
    providers["good"].set_user("other-alice", {"preferred_username": "alice"})
    _start(page, servers.main)
    _authorize_at_provider(page, "other-alice")
    _back_from_provider(page)
    assert _me(page, servers.main)["user"]["name"] == "alice-2"


def test_a_replayed_callback_is_refused(page: Page, servers: Servers) -> None:
    expect_http_errors(page)
    server = servers.main
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if CALLBACK in r.url else None)
    _start(page, server)
    _authorize_at_provider(page, "bob@example.com")
    _back_from_provider(page)
    assert _me(page, server)["user"]["name"] == "bob"

    page.goto(callbacks[0])  # the same callback URL (code and state) a second time
    assert "already used" in _failure(page, signed_out=False)
    # And in a fresh browser that never started a sign-in (a stolen callback URL).
    page.context.clear_cookies()
    page.goto(callbacks[0])
    assert "sign in again" in _failure(page)
    assert _me(page, server)["user"] is None
    reasons = [e["detail"]["reason"] for e in _audit(server, "sign_in.failed")]
    assert reasons[:2] == ["no_pending_sign_in", "no_pending_sign_in"]


def test_a_wrong_nonce_is_refused(page: Page, servers: Servers) -> None:
    """The provider is asked for a token with another nonce than the one this browser's
    sign-in holds (an ID token minted for another sign-in): refused."""
    expect_http_errors(page)
    server = servers.main

    # The start answer's cookie lands in the browser's cookie jar; the browser then goes
    # to the provider with the nonce changed.
    started = page.request.get(server.url + START, max_redirects=0)
    assert started.status == 302
    url = urllib.parse.urlsplit(started.headers["location"])
    query = dict(urllib.parse.parse_qsl(url.query))
    query["nonce"] = "a-nonce-from-another-sign-in"
    page.goto(url._replace(query=urllib.parse.urlencode(query)).geturl())
    _authorize_at_provider(page, "mallory")
    assert "'nonce' claim" in _failure(page)
    assert _me(page, server)["user"] is None
    failed = _audit(server, "sign_in.failed")[0]
    assert failed["detail"] == {"via": "oidc", "reason": "bad_nonce"}


def test_a_token_for_another_client_is_refused(page: Page, servers: Servers) -> None:
    expect_http_errors(page)
    server = servers.audience
    page.goto(server.url + START)
    assert f"Client ID: {OTHER_CLIENT_ID}" in page.locator("body").inner_text()
    _authorize_at_provider(page, "carol")
    assert "'aud' claim" in _failure(page)
    assert _me(page, server)["user"] is None
    failed = _audit(server, "sign_in.failed")[0]
    assert failed["detail"]["reason"] == "bad_aud"


def test_an_expired_id_token_is_refused(page: Page, servers: Servers) -> None:
    expect_http_errors(page)
    server = servers.expired
    page.goto(server.url + START)
    _authorize_at_provider(page, "dave")
    assert "expired" in _failure(page)
    assert _me(page, server)["user"] is None
    failed = _audit(server, "sign_in.failed")[0]
    assert failed["detail"]["reason"] == "expired_token"


def test_denied_at_the_provider_says_so(page: Page, servers: Servers) -> None:
    expect_http_errors(page)
    page.goto(servers.main.url + START)
    page.get_by_role("button", name="Deny").click()
    # This provider leaves the state out of a refusal: its error code is shown, nothing else.
    assert _failure(page).endswith("the provider did not sign you in (access_denied)")
    assert _audit(servers.main, "sign_in.failed")[0]["detail"]["reason"] == "provider_refused"


def test_sso_only_refuses_passwords_and_keeps_keys(servers: Servers) -> None:
    server = servers.main
    request = urllib.request.Request(
        server.url + "/api/v1/auth/sign-in",
        data=json.dumps({"name": "root", "password": ROOT_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 403
    assert f"Sign in with {LABEL}" in json.loads(refused.value.read())["error"]["message"]
    basic = base64.b64encode(f"root:{ROOT_PASSWORD}".encode()).decode()
    projects = server.url + "/api/v1/projects"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(
            urllib.request.Request(projects, headers={"Authorization": f"Basic {basic}"}),
            timeout=5,
        )
    assert refused.value.code in (401, 403)
    keyed = urllib.request.Request(projects, headers={"Authorization": f"Bearer {server.root_key}"})
    with urllib.request.urlopen(keyed, timeout=5) as answer:
        assert answer.status == 200
