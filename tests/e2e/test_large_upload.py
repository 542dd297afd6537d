"""A 2 GiB file goes up streamed: neither the client's nor the server's memory grows with it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.support import ServerProcess, client_env

GiB = 1024**3
MiB = 1024**2

CLIENT = """
import json, sys, time
import trailmark as tm

def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

url, path, data_dir = sys.argv[1:4]
run = tm.init(project="big", url=url, dir=data_dir)
before = peak()
started = time.monotonic()
art = tm.Artifact("huge", type="dataset")
art.add_file(path)
hashed = time.monotonic()
run.log_artifact(art).wait(600)
done = time.monotonic()
run.finish()
print(json.dumps({"before": before, "after": peak(), "hash_s": hashed - started,
                  "upload_s": done - hashed, "uploaded": art.uploaded_bytes, "digest": art.files[0].digest}))
"""


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def sparse_file(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes almost no disk: a few marks, holes between."""
    with path.open("wb") as f:
        f.truncate(size)
        for offset in range(0, size, 256 * MiB):
            f.seek(offset)
            f.write(f"mark {offset}".encode())
    return path


@pytest.mark.slow
def test_a_2_gib_upload_keeps_memory_flat(server: ServerProcess, tmp_path: Path) -> None:
    source = sparse_file(tmp_path / "huge.bin", 2 * GiB)
    server_before = peak_rss(server.process.pid)
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(CLIENT),
            server.url,
            str(source),
            str(tmp_path / "c"),
        ],
        capture_output=True,
        text=True,
        env=client_env(),
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    server_after = peak_rss(server.process.pid)
    client_growth = figures["after"] - figures["before"]
    server_growth = server_after - server_before
    print(
        f"\n2 GiB upload in {time.monotonic() - started:.1f}s (hash {figures['hash_s']:.1f}s, "
        f"upload {figures['upload_s']:.1f}s); peak RSS: client {figures['before'] / MiB:.0f} -> "
        f"{figures['after'] / MiB:.0f} MiB (+{client_growth / MiB:.0f}), server "
        f"{server_before / MiB:.0f} -> {server_after / MiB:.0f} MiB (+{server_growth / MiB:.0f})"
    )
    assert figures["uploaded"] == 2 * GiB
    assert client_growth < 100 * MiB
    assert server_growth < 150 * MiB
    stored = server.data_dir / "blobs" / "sha256" / figures["digest"][:2] / figures["digest"]
    assert stored.stat().st_size == 2 * GiB
    stored.unlink()  # give the disk back now
