"""Safe defaults, through the real command: loopback only unless told otherwise, no
non-loopback bind without authentication, no default accounts, and no answer to a foreign
``Host`` (DNS rebinding)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text

from tests.reliability.helpers import Server
from tests.support import TRAILMARK, client_env, free_port
from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings

ACCOUNT_TABLE_WORDS = ("user", "account", "api_key", "apikey", "token", "session", "credential")


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc shows them) with a listening socket on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, _, hex_port = fields[1].rpartition(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``trailmark server`` with no --host: whatever it binds by default."""
    server = Server(tmp_path_factory.mktemp("defaults"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_server_binds_loopback_by_default(default_server: Server) -> None:
    assert listening_addresses(default_server.port) == {"0100007F"}, "127.0.0.1 only"


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--host", "0.0.0.0"], {}),
        (["--host", "::"], {}),
        ([], {"TRAILMARK_HOST": "0.0.0.0"}),
    ],
    ids=["0.0.0.0", "::", "TRAILMARK_HOST"],
)
def test_a_non_loopback_bind_without_authentication_is_refused(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    port = free_port()
    command = [*TRAILMARK, "server", "--port", str(port), "--data-dir", str(tmp_path), *args]
    result = subprocess.run(
        command, capture_output=True, text=True, env=client_env(**env), timeout=60
    )
    assert result.returncode != 0
    assert "refusing to listen" in result.stderr and "--insecure-allow-remote" in result.stderr
    assert not listening_addresses(port)


def test_insecure_allow_remote_lifts_the_refusal(tmp_path: Path) -> None:
    """Checked without ever listening beyond loopback: 192.0.2.10 (TEST-NET-1) is not an
    address of this machine, so once the refusal is lifted the bind itself fails."""
    port = free_port()
    command = [*TRAILMARK, "server", "--port", str(port), "--data-dir", str(tmp_path)]
    result = subprocess.run(
        [*command, "--host", "192.0.2.10", "--insecure-allow-remote"],
        capture_output=True,
        text=True,
        env=client_env(),
        timeout=60,
    )
    assert "refusing to listen" not in result.stderr
    assert "192.0.2.10" in result.stderr and "assign requested address" in result.stderr
    assert not listening_addresses(port)


def test_there_are_no_default_accounts(default_server: Server) -> None:
    engine = create_engine(f"sqlite:///{default_server.data_dir / 'trailmark.db'}")
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            account_tables = [
                t for t in tables if any(word in t.lower() for word in ACCOUNT_TABLE_WORDS)
            ]
            for table in account_tables:
                count = conn.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one()
                assert count == 0, f"{table} has {count} rows on a fresh server"
    finally:
        engine.dispose()
    assert "migrations" in " ".join(tables), "the database was created"


FOREIGN_HOSTS = [
    "evil.example",
    "evil.example:5100",
    "127.0.0.1.evil.example",
    "localhost.evil.example",
    "[2001:db8::1]:5100",
    "10.1.2.3",
]


def status_for(server: Server, host: str) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v1/projects", headers={"Host": host}, timeout=10)


def test_a_foreign_host_header_is_refused(default_server: Server) -> None:
    port = default_server.port
    for host in ("localhost", f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
        assert status_for(default_server, host).status_code == 200, host
    for host in [*FOREIGN_HOSTS, "LOCALHOST.evil.example."]:
        answer = status_for(default_server, host)
        assert answer.status_code == 400, host
        error = answer.json()["error"]
        assert error["code"] == "invalid_host" and "--allowed-host" in error["message"]
    # The dashboard and the health check are behind the same door.
    assert httpx.get(f"{default_server.url}/", headers={"Host": "evil.example"}).status_code == 400
    assert (
        httpx.get(f"{default_server.url}/health", headers={"Host": "evil.example"}).status_code
        == 400
    )


def test_allowed_hosts_come_from_the_option_or_the_environment(tmp_path: Path) -> None:
    by_option = Server(
        tmp_path / "a",
        args=["--allowed-host", "tracker.example.com", "--allowed-host", "*.corp.example"],
    )
    by_env = Server(tmp_path / "b", env={"TRAILMARK_ALLOWED_HOSTS": "a.example, b.example:8443"})
    try:
        by_option.start()
        by_env.start()
        for host in (
            "tracker.example.com",
            "tracker.example.com:443",
            "ml.corp.example",
            "localhost",
        ):
            assert status_for(by_option, host).status_code == 200, host
        for host in ("a.example", "b.example", f"127.0.0.1:{by_env.port}"):
            assert status_for(by_env, host).status_code == 200, host
        for server in (by_option, by_env):
            for host in FOREIGN_HOSTS:
                assert status_for(server, host).status_code == 400, host
    finally:
        by_option.stop()
        by_env.stop()


def test_a_deliberately_remote_server_answers_any_host_unless_configured(tmp_path: Path) -> None:
    """In-process (no non-loopback socket is opened): the settings the CLI would build."""
    remote = ServerSettings(data_dir=tmp_path / "r", host="0.0.0.0", insecure_allow_remote=True)
    configured = ServerSettings(
        data_dir=tmp_path / "c",
        host="0.0.0.0",
        insecure_allow_remote=True,
        allowed_hosts=("tracker.example.com",),
    )
    for settings, expected in ((remote, 200), (configured, 400)):
        app = create_app(settings)
        with TestClient(app) as client:
            answer = client.get("/api/v1/projects", headers={"Host": "anything.example"})
            assert answer.status_code == expected
            if expected == 400:
                ok = client.get("/api/v1/projects", headers={"Host": "tracker.example.com"})
                assert ok.status_code == 200
        app.state.store.close()


def test_the_cli_lists_the_options() -> None:
    from click.testing import CliRunner

    from trailmark.cli.main import main

    help_text = CliRunner().invoke(main, ["server", "--help"]).output
    assert "--allowed-host" in help_text and "--insecure-allow-remote" in help_text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--oidc-client-id", "trailmark"], "--oidc-client-id needs --oidc-issuer"),
        (["--sso-only"], "--sso-only needs --oidc-issuer"),
        (["--oidc-issuer", "https://sso.example"], "--oidc-issuer needs --oidc-client-id"),
    ],
    ids=["client-id-alone", "sso-only-alone", "issuer-alone"],
)
def test_a_half_sso_configuration_stops_the_server_at_start(
    tmp_path: Path, args: list[str], message: str
) -> None:
    port = free_port()
    command = [*TRAILMARK, "server", "--port", str(port), "--data-dir", str(tmp_path), *args]
    result = subprocess.run(command, capture_output=True, text=True, env=client_env(), timeout=60)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert not listening_addresses(port)
