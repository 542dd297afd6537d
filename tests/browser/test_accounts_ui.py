"""The dashboard with accounts on (issue 17), in real Chromium against a real server: password
sign-in and back to the page asked for, a wrong password and too many attempts, a viewer who
sees why they cannot edit (and the server agrees), an admin who adds a member with a role, API
keys shown once then revoked, signing out.

Users are created through the store (as `trailmark users create` does) before the server starts.
"""

from __future__ import annotations

import contextlib
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.browser.conftest import expect_http_errors, screenshot
from tests.support import ServerProcess, start_server
from trailmark.store.ingest import Envelope
from trailmark.store.store import Store

PROJECT = "secure-vision"
RUN = "run-a"
MODEL = "secure-clf"
PASSWORDS = {
    "ada": "ada-admin-password-1",  # server admin (first user: admin of every project)
    "vic": "vic-viewer-password-1",  # viewer of PROJECT
    "eve": "eve-editor-password-1",  # editor of PROJECT, added by ada in a test
    "rita": "rita-rate-limited-pw-1",  # only ever given wrong passwords
    "pat": "pat-old-password-123",  # changes their password
}


def seed_accounts(data_dir: Path) -> None:
    store = Store.open(None, data_dir)
    try:
        records: list[dict[str, Any]] = [
            {"t": "run", "q": 1, "name": "guarded-run", "tags": ["baseline"], "notes": "keep me"},
            {"t": "m", "q": 2, "s": 0, "w": 1_767_225_600.0, "d": {"loss": 1.0}},
            {"t": "fin", "q": 3, "state": "finished", "exit_code": 0, "w": 1_767_225_660.0},
        ]
        store.ingestor.ingest(Envelope(RUN, PROJECT, "seed"), records)
        store.registry.create_model(MODEL, "guarded classifier")
        store.registry.create_version(MODEL, "s3://bucket/clf", resolve="keep")
        users = store.accounts.users
        users.create("ada", admin=True, password=PASSWORDS["ada"], display_name="Ada Admin")
        for name in ("vic", "eve", "rita", "pat"):
            users.create(name, password=PASSWORDS[name])
        store.accounts.grants.set("project", PROJECT, "user:vic", "viewer", by="ada")
        store.accounts.grants.set("model", MODEL, "user:vic", "viewer", by="ada")
    finally:
        store.close()


@pytest.fixture(scope="module", autouse=True)
def patient_expectations() -> Iterator[None]:
    """Each sign-in hashes a password (argon2id) on a shared, busy machine: allow more than
    Playwright's 5 s per expectation, and put the default back for the other modules."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("accounts-ui")
    seed_accounts(data_dir)
    server = start_server(data_dir)
    yield server
    server.stop()


def sign_in(page: Page, name: str, password: str) -> None:
    page.get_by_test_id("sign-in-name").fill(name)
    page.get_by_test_id("sign-in-password").fill(password)
    page.get_by_test_id("sign-in-submit").click()


def signed_in(page: Page, server: ServerProcess, name: str, path: str = "/") -> None:
    """Open ``path``, sign in on the page it sends to, and wait to be back on ``path``."""
    page.goto(server.url + path)
    expect(page.get_by_test_id("sign-in-page")).to_be_visible()
    sign_in(page, name, PASSWORDS[name])
    expect(page).to_have_url(server.url + path)
    expect(page.get_by_test_id("user-name")).to_be_visible()


def run_path() -> str:
    return f"/projects/{PROJECT}/runs/{RUN}"


def test_password_sign_in_returns_to_the_page_asked_for(page: Page, server: ServerProcess) -> None:
    page.goto(server.url + run_path() + "?tab=overview")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    expect(page.get_by_test_id("sign-in-sso")).to_have_count(0)  # no SSO configured
    screenshot(page, "accounts-sign-in")
    sign_in(page, "ada", PASSWORDS["ada"])
    expect(page).to_have_url(server.url + run_path() + "?tab=overview")
    expect(page.get_by_test_id("run-name")).to_have_text("guarded-run")
    expect(page.get_by_test_id("user-name")).to_have_text("Ada Admin")
    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id("menu-admin")).to_be_visible()
    # The session cookie is HttpOnly: the page's scripts cannot read it.
    assert "trailmark_session" not in page.evaluate("document.cookie")


def test_wrong_password_says_so_and_stays(page: Page, server: ServerProcess) -> None:
    expect_http_errors(page)
    page.goto(server.url + "/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    sign_in(page, "eve", "not-her-password")
    expect(page.get_by_test_id("sign-in-error")).to_have_text("Wrong name or password.")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_test_id("sign-in-password")).to_have_value("")  # never kept in the form
    expect(page.get_by_test_id("user-menu")).to_have_count(0)


def test_too_many_attempts_are_refused_with_the_reason(page: Page, server: ServerProcess) -> None:
    expect_http_errors(page)
    page.goto(server.url + "/sign-in")
    for _ in range(5):
        sign_in(page, "rita", "wrong-password-again")
        expect(page.get_by_test_id("sign-in-error")).to_have_text("Wrong name or password.")
        expect(page.get_by_test_id("sign-in-submit")).to_be_enabled()
    # Even the right password is refused now: the attempts are slowed, and the page says why.
    sign_in(page, "rita", PASSWORDS["rita"])
    expect(page.get_by_test_id("sign-in-error")).to_contain_text("Too many failed sign-ins")
    expect(page.get_by_test_id("user-menu")).to_have_count(0)


def test_viewer_sees_why_they_cannot_edit_and_cannot(page: Page, server: ServerProcess) -> None:
    expect_http_errors(page)
    signed_in(page, server, "vic", run_path())
    expect(page.get_by_test_id("run-name")).to_have_text("guarded-run")
    reason = page.get_by_test_id("edit-not-allowed")
    expect(reason).to_contain_text(f"You are a viewer of project {PROJECT}")
    expect(page.get_by_test_id("notes-read-only")).to_be_disabled()
    expect(page.get_by_test_id("notes-read-only")).to_have_value("keep me")
    expect(page.get_by_test_id("notes-editor")).to_have_count(0)
    expect(page.get_by_test_id("tags-editor")).to_have_count(0)
    expect(page.get_by_test_id("tags-read-only")).to_contain_text("baseline")
    expect(page.get_by_test_id("nav-members")).to_have_count(0)  # not an admin of the project
    screenshot(page, "accounts-viewer-run")
    # The server refuses the edit too, with this browser's own session.
    status = page.evaluate(
        """async (path) => (await fetch(path, {method: "PATCH",
             headers: {"Content-Type": "application/json"},
             body: JSON.stringify({notes: "vandalised"})})).status""",
        f"/api/v1/projects/{PROJECT}/runs/{RUN}",
    )
    assert status == 403
    # The members page tells a non-admin why it is not theirs.
    page.goto(server.url + f"/projects/{PROJECT}/members")
    expect(page.get_by_test_id("members-not-allowed")).to_contain_text("Only admins of project")
    page.goto(server.url + run_path())
    expect(page.get_by_test_id("notes-read-only")).to_have_value("keep me")


def test_model_viewer_sees_why_and_model_admin_reaches_its_members(
    page: Page, server: ServerProcess
) -> None:
    signed_in(page, server, "vic", f"/models/{MODEL}")
    expect(page.get_by_test_id("model-version-detail")).to_be_visible()
    expect(page.get_by_test_id("model-actions-not-allowed")).to_contain_text(
        f"You are a viewer of model {MODEL}"
    )
    expect(page.get_by_test_id("set-alias-button")).to_have_count(0)
    expect(page.get_by_test_id("edit-description")).to_have_count(0)
    expect(page.get_by_test_id("model-members-link")).to_have_count(0)
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("sign-out").click()
    sign_in(page, "ada", PASSWORDS["ada"])
    expect(page.get_by_test_id("user-name")).to_have_text("Ada Admin")
    page.goto(server.url + f"/models/{MODEL}")
    expect(page.get_by_test_id("set-alias-button")).to_be_visible()
    page.get_by_test_id("model-members-link").click()
    expect(page).to_have_url(server.url + f"/models/{MODEL}/members")
    expect(page.locator('[data-principal="user:vic"]')).to_have_attribute("data-role", "viewer")
    expect(page.get_by_test_id("visibility-select")).to_have_value("private")


def test_admin_adds_a_member_with_a_role(page: Page, server: ServerProcess) -> None:
    signed_in(page, server, "ada", f"/projects/{PROJECT}")
    page.get_by_test_id("nav-members").click()
    expect(page).to_have_url(server.url + f"/projects/{PROJECT}/members")
    rows = page.get_by_test_id("member-row")
    expect(page.locator('[data-principal="user:vic"]')).to_have_attribute("data-role", "viewer")
    page.get_by_test_id("add-member-name").fill("eve")
    page.get_by_test_id("add-member-role").select_option("editor")
    page.get_by_test_id("add-member-submit").click()
    expect(page.locator('[data-principal="user:eve"]')).to_have_attribute("data-role", "editor")
    expect(page.get_by_test_id("add-member-name")).to_have_value("")
    screenshot(page, "accounts-members")
    # vic becomes an editor through the role menu of their row.
    page.locator('[data-principal="user:vic"]').get_by_test_id("member-role").select_option(
        "editor"
    )
    expect(page.locator('[data-principal="user:vic"]')).to_have_attribute("data-role", "editor")
    expect(rows).to_have_count(3)  # ada (admin since the first user), vic, eve
    # The server keeps what the page shows.
    members = page.evaluate(
        "async (path) => (await (await fetch(path)).json()).members",
        f"/api/v1/projects/{PROJECT}/members",
    )
    roles = {m["principal"]: m["role"] for m in members}
    assert roles["user:eve"] == "editor" and roles["user:vic"] == "editor"
    page.locator('[data-principal="user:vic"]').get_by_test_id("member-role").select_option(
        "viewer"
    )
    expect(page.locator('[data-principal="user:vic"]')).to_have_attribute("data-role", "viewer")


def test_user_creates_and_revokes_an_api_key_shown_once(page: Page, server: ServerProcess) -> None:
    signed_in(page, server, "eve")
    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id("menu-admin")).to_have_count(0)  # not a server admin
    page.get_by_test_id("menu-account").click()
    expect(page).to_have_url(server.url + "/account")
    page.get_by_test_id("new-key-name").fill("laptop")
    page.get_by_test_id("new-key-submit").click()
    secret = page.get_by_test_id("new-key-secret").inner_text().strip()
    assert secret.startswith("tmk_")
    row = page.locator('[data-testid="key-row"][data-key="laptop"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text(secret[:12])
    assert secret not in row.inner_text()  # the table shows only the key's start
    screenshot(page, "accounts-new-key")

    whoami = httpx.get(
        server.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}
    )
    assert whoami.status_code == 200 and whoami.json()["user"]["name"] == "eve"

    page.reload()
    expect(row).to_be_visible()
    expect(page.get_by_test_id("new-key-secret")).to_have_count(
        0
    )  # shown once: gone after a reload
    assert secret not in page.content()

    row.get_by_test_id("revoke-key").click()
    row.get_by_test_id("revoke-confirm").click()
    expect(row).to_contain_text("revoked")
    expect(row.get_by_test_id("revoke-key")).to_have_count(0)
    refused = httpx.get(
        server.url + f"/api/v1/projects/{PROJECT}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert refused.status_code == 401


def test_user_changes_their_password(page: Page, server: ServerProcess) -> None:
    expect_http_errors(page)  # the wrong current password is refused (403)
    signed_in(page, server, "pat")
    page.goto(server.url + "/account")
    form = page.get_by_test_id("password-form")
    fields = form.locator("input[type=password]")
    submit = form.get_by_role("button", name="Change password")
    new = "pat-new-password-456"
    fields.nth(0).fill("not-the-password")
    fields.nth(1).fill(new)
    fields.nth(2).fill(new + "x")
    expect(form).to_contain_text("The two new passwords differ.")
    expect(submit).to_be_disabled()
    fields.nth(2).fill(new)
    submit.click()
    expect(form.get_by_role("alert")).to_have_text("The current password is wrong.")
    fields.nth(0).fill(PASSWORDS["pat"])
    submit.click()
    expect(form.get_by_role("status")).to_contain_text("Password changed")
    expect(fields.nth(1)).to_have_value("")
    old = httpx.get(server.url + "/api/v1/auth/me", auth=("pat", PASSWORDS["pat"]))
    assert old.status_code == 401
    fresh = httpx.get(server.url + "/api/v1/auth/me", auth=("pat", new))
    assert fresh.status_code == 200 and fresh.json()["user"]["name"] == "pat"


def test_sign_out_ends_the_session(page: Page, server: ServerProcess) -> None:
    signed_in(page, server, "vic")
    cookie = next(c for c in page.context.cookies() if c["name"] == "trailmark_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    # Back to a page: it asks to sign in again; the old cookie no longer works anywhere.
    page.goto(server.url + f"/projects/{PROJECT}")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    stale = httpx.get(
        server.url + f"/api/v1/projects/{PROJECT}",
        cookies={"trailmark_session": cookie["value"]},
    )
    assert stale.status_code == 401


def test_a_session_that_ends_mid_page_leads_to_sign_in_and_back(
    page: Page, server: ServerProcess
) -> None:
    expect_http_errors(page)  # the projects list answers 401 once the session is gone
    signed_in(page, server, "vic", run_path())
    # The session ends behind the page's back (signed out elsewhere, expired, revoked).
    status = page.evaluate(
        "async () => (await fetch('/api/v1/auth/sign-out', {method: 'POST'})).status"
    )
    assert status == 204
    link = page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name=PROJECT)
    # The page's own refresh may meet its 401 first and leave for the sign-in page itself.
    with contextlib.suppress(PlaywrightError):
        link.click(timeout=5_000)
    expect(page).to_have_url(re.compile(rf"/sign-in\?next=%2Fprojects%2F{PROJECT}(%2F|$)"))
    asked_for = urllib.parse.unquote(page.url.split("next=", 1)[1])
    expect(page.get_by_test_id("user-menu")).to_have_count(0)
    sign_in(page, "vic", PASSWORDS["vic"])
    expect(page.get_by_test_id("user-name")).to_have_text("vic")
    expect(page).to_have_url(server.url + asked_for)


def test_admin_manages_users_and_teams_and_reads_the_audit_log(
    page: Page, server: ServerProcess
) -> None:
    signed_in(page, server, "ada")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("menu-admin").click()
    expect(page).to_have_url(server.url + "/admin/users")
    expect(page.locator('[data-testid="user-row"][data-user="ada"]')).to_contain_text("admin")
    expect(page.locator('[data-testid="user-row"][data-user="vic"]')).to_be_visible()

    page.get_by_test_id("new-user-name").fill("newbie")
    page.get_by_test_id("new-user-submit").click()
    password = page.get_by_test_id("new-user-password").inner_text().strip()
    assert len(password) >= 12
    expect(page.locator('[data-testid="user-row"][data-user="newbie"]')).to_be_visible()
    works = httpx.get(server.url + "/api/v1/auth/me", auth=("newbie", password))
    assert works.status_code == 200 and works.json()["user"]["name"] == "newbie"
    refused = httpx.post(
        server.url + "/api/v1/auth/sign-in", json={"name": "newbie", "password": "wrong-password-1"}
    )
    assert refused.status_code == 401

    page.get_by_test_id("admin-teams").click()
    page.get_by_test_id("new-team-name").fill("ml")
    page.get_by_test_id("new-team-name").press("Enter")
    team = page.locator('[data-testid="team-card"][data-team="ml"]')
    team.get_by_test_id("team-add-user").fill("newbie")
    team.get_by_test_id("team-add-user").press("Enter")
    expect(team.get_by_test_id("team-members")).to_contain_text("newbie")

    page.get_by_test_id("admin-audit").click()
    page.get_by_test_id("audit-actor").fill("newbie")
    page.get_by_test_id("audit-outcome").select_option("failed")
    failed = page.locator('[data-testid="audit-row"][data-action="sign_in.failed"]')
    expect(failed).to_have_count(1)
    expect(page.get_by_test_id("audit-row")).to_have_count(1)
    screenshot(page, "accounts-audit")
    assert password not in page.content() and "wrong-password-1" not in page.content()
