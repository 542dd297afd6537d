"""Fixtures of the reliability suite: servers on SQLite and PostgreSQL that tests may kill."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.helpers import Server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def killable_server(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """A server (not yet started) on SQLite or on a fresh PostgreSQL database."""
    db = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    server = Server(tmp_path / "server", db=db)
    try:
        yield server
    finally:
        server.stop()
