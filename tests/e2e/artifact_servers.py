"""Real server processes with extra flags and environment (blob stores, webhooks)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.e2e.conftest import TRAILMARK, ServerProcess, free_port, healthy, wait_until


def start_server_with(
    data_dir: Path, args: list[str] | None = None, env: dict[str, str] | None = None
) -> ServerProcess:
    """``trailmark server`` on a free port with ``args`` added and ``env`` set."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"server-{port}.log"
    command = [
        *TRAILMARK,
        "server",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        *(args or []),
    ]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TRAILMARK_")}
    environ.update(env or {})
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environ)
    server = ServerProcess(f"http://127.0.0.1:{port}", process, data_dir, log_path)
    try:
        wait_until(lambda: healthy(server.url) or process.poll() is not None, 30, "the server")
    except AssertionError:
        server.stop()
        raise
    if process.poll() is not None:
        raise AssertionError(f"server exited: {log_path.read_text()}")
    return server
