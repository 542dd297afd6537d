"""End-to-end fixtures: a real ``trailmark server`` process on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ServerProcess, start_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real server process on SQLite in a temporary data dir."""
    proc = start_server(tmp_path / "server")
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def pg_server(tmp_path: Path, postgres_url: str) -> Iterator[ServerProcess]:
    """A real server process on a fresh PostgreSQL database."""
    proc = start_server(tmp_path / "server", db=postgres_url)
    try:
        yield proc
    finally:
        proc.stop()
