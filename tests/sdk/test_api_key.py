"""The SDK on a server with accounts on: TRAILMARK_API_KEY (or the key `trailmark login`
kept) goes with every request; without one the server's 401 loses nothing: the records stay
in the spool, the run says so once, and `trailmark sync` with the key ships them."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import trailmark as tm
from tests.accounts_server import LiveServer, live_server
from trailmark import credentials
from trailmark.cli.main import main
from trailmark.errors import Unauthorized

QUIET = {"system_interval": 0, "console": "off", "capture_code": False, "capture_env": False}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(tmp_path / "server") as live:
        yield live


@pytest.fixture(autouse=True)
def _own_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No developer's key or credentials file may reach these tests."""
    monkeypatch.setenv("TRAILMARK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("TRAILMARK_API_KEY", raising=False)
    monkeypatch.delenv("TRAILMARK_URL", raising=False)


def _losses(server: LiveServer, run_id: str) -> list[float]:
    rows = server.store.metrics.history(run_id, ["loss"], None, None, project="mnist")
    return [row["loss"] for row in rows]


def test_a_run_logs_with_the_key_in_the_environment(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAILMARK_API_KEY", server.alice_key)
    run = tm.init(project="mnist", url=server.url, dir=tmp_path / "client", **QUIET)
    for step in range(5):
        run.log({"loss": 1.0 / (step + 1)})
    report = run.finish(timeout=30)
    assert report is None or report.complete
    assert _losses(server, run.id) == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    assert server.store.runs.get_run("mnist", run.id)["state"] == "finished"
    alice = server.store.accounts.users.get("alice")
    assert server.store.accounts.grants.role_of(alice, "project", "mnist") == "admin"
    assert [p["name"] for p in tm.Api(server.url).projects()] == ["mnist"]


def test_the_key_trailmark_login_kept_is_used_for_its_server(
    server: LiveServer, tmp_path: Path
) -> None:
    credentials.save(server.url, credentials.StoredKey(server.alice_key, user="alice"))
    run = tm.init(project="mnist", url=server.url, dir=tmp_path / "client", **QUIET)
    run.log({"loss": 3.0})
    run.finish(timeout=30)
    assert _losses(server, run.id) == [3.0]


def test_without_a_key_nothing_is_lost_and_sync_with_the_key_ships_it(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_dir = tmp_path / "client"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = tm.init(project="mnist", url=server.url, dir=client_dir, **QUIET)
        for step in range(3):
            run.log({"loss": float(step)})
        report = run.finish(timeout=2)
    assert report is not None and report.remaining >= 4  # the start, 3 points, the finish
    assert report.rejected == 0
    messages = [str(w.message) for w in caught]
    told = [m for m in messages if m.startswith(f"trailmark: {server.url} refused")]
    assert len(told) == 1, messages  # once, not at every retry
    assert "trailmark login" in told[0] and "Nothing is lost" in told[0]
    assert any("are not shipped yet" in m and "trailmark sync" in m for m in messages)
    assert not server.store.accounts.grants.exists("project", "mnist")
    assert not list(client_dir.rglob("*.rejected"))

    with pytest.raises(Unauthorized, match="trailmark login"):
        tm.Api(server.url).projects()

    refused = CliRunner().invoke(main, ["sync", "--data-dir", str(client_dir)])
    assert refused.exit_code == 1 and "left" in refused.output
    shipped = CliRunner().invoke(
        main,
        ["sync", "--data-dir", str(client_dir)],
        env={"TRAILMARK_API_KEY": server.alice_key},
    )
    assert shipped.exit_code == 0, shipped.output
    assert _losses(server, run.id) == [0.0, 1.0, 2.0]
    assert server.store.runs.get_run("mnist", run.id)["state"] == "finished"


def test_a_project_the_key_may_not_write_keeps_the_records_for_later(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.store.runs.create_project("mnist")
    server.store.accounts.grants.grant_creator(
        "project", "mnist", server.store.accounts.users.get("alice")
    )
    server.store.accounts.users.create("bob")
    bob_key = server.store.accounts.keys.create("bob", "laptop")[1]
    monkeypatch.setenv("TRAILMARK_API_KEY", bob_key)
    client_dir = tmp_path / "client"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = tm.init(project="mnist", url=server.url, dir=client_dir, **QUIET)
        run.log({"loss": 9.0})
        report = run.finish(timeout=2)  # alice's private project: hidden from bob (404)
    assert report is not None and report.remaining >= 3 and report.rejected == 0
    assert not list(client_dir.rglob("*.rejected"))

    server.store.accounts.grants.set("project", "mnist", "user:bob", "viewer", by="alice")
    still = CliRunner().invoke(main, ["sync", "--data-dir", str(client_dir)])
    assert still.exit_code == 1 and "editor role" in still.output  # a viewer may not write

    server.store.accounts.grants.set("project", "mnist", "user:bob", "editor", by="alice")
    shipped = CliRunner().invoke(main, ["sync", "--data-dir", str(client_dir)])
    assert shipped.exit_code == 0, shipped.output
    assert _losses(server, run.id) == [9.0]
