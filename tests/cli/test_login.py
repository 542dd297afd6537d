"""``trailmark login`` / ``trailmark logout`` against a real server with accounts on: the key
is made through the API, kept 0600 in a 0700 folder, works, and is revoked on logout."""

from __future__ import annotations

import json
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.accounts_server import ALICE_PASSWORD, LiveServer, live_server
from trailmark import credentials
from trailmark.cli.main import main
from trailmark.client import Client
from trailmark.errors import Unauthorized


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("login") / "server") as live:
        yield live


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A credentials folder of the test's own (never the developer's), no key in the env."""
    return {"TRAILMARK_CONFIG_DIR": str(tmp_path / "config" / "trailmark"), "TRAILMARK_API_KEY": ""}


def _works(url: str, key: str) -> bool:
    with Client(url, auth=credentials.bearer(key)) as client:
        try:
            client.request("GET", "/api/v1/me/keys")
        except Unauthorized:
            return False
    return True


def test_login_with_a_password_keeps_a_private_key_that_works(
    server: LiveServer, env: dict[str, str]
) -> None:
    result = CliRunner().invoke(
        main, ["login", server.url + "/", "--name", "alice"], input=ALICE_PASSWORD + "\n", env=env
    )
    assert result.exit_code == 0, result.output
    path = Path(env["TRAILMARK_CONFIG_DIR"]) / "credentials.json"
    assert str(path) in result.output and "as alice" in result.output
    assert ALICE_PASSWORD not in result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    entry = json.loads(path.read_text())["servers"][server.url]  # the trailing slash is gone
    assert entry["user"] == "alice" and entry["name"] == f"cli on {socket.gethostname()}"
    assert entry["key"] not in result.output
    assert _works(server.url, entry["key"])
    assert credentials.api_key_for(server.url, environ=env) == entry["key"]
    assert credentials.api_key_for(server.url, environ={**env, "TRAILMARK_API_KEY": "tmk_x"}) == (
        "tmk_x"
    )
    names = [k.name for k in server.store.accounts.keys.list("alice")]
    assert f"cli on {socket.gethostname()}" in names


def test_a_wrong_password_stores_nothing(server: LiveServer, env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        main, ["login", server.url], input="alice\nnot the password\n", env=env
    )
    assert result.exit_code == 1
    assert "refused the name or password" in result.output
    assert not (Path(env["TRAILMARK_CONFIG_DIR"]) / "credentials.json").exists()


def test_login_keeps_a_pasted_key_once_the_server_takes_it(
    server: LiveServer, env: dict[str, str]
) -> None:
    refused = CliRunner().invoke(main, ["login", server.url, "--key"], input="tmk_wrong\n", env=env)
    assert refused.exit_code == 1 and "refused this key" in refused.output
    view, key = server.store.accounts.keys.create("alice", "pasted")
    result = CliRunner().invoke(
        main, ["login", "--key"], input=key + "\n", env={**env, "TRAILMARK_URL": server.url}
    )
    assert result.exit_code == 0, result.output
    stored = credentials.load(server.url, env)
    assert stored == credentials.StoredKey(key=key, user="alice", key_id=view.id, name="pasted")


def test_logout_revokes_the_key_on_the_server_and_forgets_it(
    server: LiveServer, env: dict[str, str]
) -> None:
    CliRunner().invoke(
        main, ["login", server.url, "--name", "alice"], input=ALICE_PASSWORD, env=env
    )
    stored = credentials.load(server.url, env)
    assert stored is not None and _works(server.url, stored.key)
    result = CliRunner().invoke(main, ["logout", server.url], env=env)
    assert result.exit_code == 0, result.output
    assert "revoked on the server" in result.output
    assert credentials.load(server.url, env) is None
    assert not _works(server.url, stored.key)
    again = CliRunner().invoke(main, ["logout", server.url], env=env)
    assert again.exit_code == 0 and "No key is kept" in again.output


def test_logging_in_again_revokes_the_key_it_replaces(
    server: LiveServer, env: dict[str, str]
) -> None:
    login = ["login", server.url, "--name", "alice"]
    CliRunner().invoke(main, login, input=ALICE_PASSWORD, env=env)
    first = credentials.load(server.url, env)
    again = CliRunner().invoke(main, login, input=ALICE_PASSWORD, env=env)
    assert again.exit_code == 0, again.output
    assert "The key it replaces was revoked on the server." in again.output
    second = credentials.load(server.url, env)
    assert first is not None and second is not None and first.key != second.key
    assert not _works(server.url, first.key) and _works(server.url, second.key)


def test_keys_of_several_servers_are_kept_apart(tmp_path: Path) -> None:
    env = {"TRAILMARK_CONFIG_DIR": str(tmp_path)}
    credentials.save("http://a:5100", credentials.StoredKey("tmk_a"), env)
    credentials.save("HTTPS://B.example:443/tm/", credentials.StoredKey("tmk_b"), env)
    assert credentials.api_key_for("http://A:5100/", environ=env) == "tmk_a"
    assert credentials.api_key_for("https://b.example/tm", environ=env) == "tmk_b"
    assert credentials.api_key_for("http://a:5200", environ=env) is None
    kept = tmp_path / "credentials.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600  # in a folder that existed: mode kept
    credentials.remove("http://a:5100", env)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert credentials.api_key_for("http://a:5100", environ=env) is None
    assert credentials.api_key_for("https://b.example/tm", environ=env) == "tmk_b"


def test_a_server_without_accounts_needs_no_login(tmp_path: Path, env: dict[str, str]) -> None:
    with live_server(tmp_path / "open", accounts=False) as open_server:
        result = CliRunner().invoke(
            main, ["login", open_server.url, "--name", "x"], input="whatever pw\n", env=env
        )
    assert result.exit_code == 0, result.output
    assert "has no accounts" in result.output
    assert not (Path(env["TRAILMARK_CONFIG_DIR"]) / "credentials.json").exists()


def test_the_mlflow_importer_sends_the_kept_key(
    server: LiveServer, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # an mlruns folder as the source

    folder = tmp_path / "mlruns"
    source = MlflowClient(folder.as_uri())
    run = source.create_run(source.create_experiment("imported"), run_name="old")
    source.log_metric(run.info.run_id, "acc", 0.5, timestamp=1_000, step=0)
    source.set_terminated(run.info.run_id)

    refused = CliRunner().invoke(
        main, ["import", "mlflow", str(folder), "--url", server.url], env=env
    )
    assert refused.exit_code != 0
    CliRunner().invoke(
        main, ["login", server.url, "--name", "alice"], input=ALICE_PASSWORD, env=env
    )
    done = CliRunner().invoke(main, ["import", "mlflow", str(folder), "--url", server.url], env=env)
    assert done.exit_code == 0, done.output
    assert server.store.runs.get_project("imported")["name"] == "imported"
