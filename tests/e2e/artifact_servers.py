"""Real server processes with extra flags and environment (blob stores, webhooks)."""

from __future__ import annotations

from pathlib import Path

from tests.support import ServerProcess, start_server


def start_server_with(
    data_dir: Path, args: list[str] | None = None, env: dict[str, str] | None = None
) -> ServerProcess:
    """``trailmark server`` on a free port with ``args`` added and ``env`` set."""
    return start_server(data_dir, args=args, env=env)
