"""No credential is ever printed: the server's startup line, its refusals and the importer's
report name a database by its URL with the password replaced (issue 16 item 5)."""

from __future__ import annotations

import subprocess
import urllib.parse
from pathlib import Path

import pytest

from tests.support import TRAILMARK, ServerProcess, client_env
from trailmark.redact import REDACTED

PASSWORD = "Hunter2-pw-7f3a"


def with_password(url: str) -> str:
    """``url`` with :data:`PASSWORD` as its password (the test server trusts every login)."""
    parts = urllib.parse.urlsplit(url)
    netloc = f"{parts.username}:{PASSWORD}@{parts.hostname}:{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


@pytest.mark.slow
@pytest.mark.postgres
def test_the_startup_line_hides_the_database_password(tmp_path: Path, postgres_url: str) -> None:
    server = ServerProcess(tmp_path / "server", db=with_password(postgres_url))
    server.start()
    server.stop()
    output = server.log_path.read_text()
    assert PASSWORD not in output
    [line] = [line for line in output.splitlines() if "serving" in line]
    assert f":{REDACTED}@127.0.0.1" in line, line


@pytest.mark.slow
def test_a_refused_database_url_is_not_echoed_with_its_password(tmp_path: Path) -> None:
    done = subprocess.run(
        [*TRAILMARK, "server", "--data-dir", str(tmp_path), "--db", f"mysql://u:{PASSWORD}@h/d"],
        capture_output=True,
        text=True,
        env=client_env(),
        timeout=60,
    )
    assert done.returncode != 0
    assert "unsupported database URL" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr


@pytest.mark.postgres
def test_the_importer_names_its_target_without_the_password(
    tmp_path: Path, postgres_url: str
) -> None:
    from trailmark.mlflow_import.sink import HttpSink, LocalSink

    sink = LocalSink(tmp_path, with_password(postgres_url))
    try:
        assert PASSWORD not in sink.description and REDACTED in sink.description
    finally:
        sink.close()
    assert PASSWORD not in HttpSink(f"http://ana:{PASSWORD}@127.0.0.1:9").description
