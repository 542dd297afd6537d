"""Artifacts through a real server: dedup, resumable uploads, verified downloads, the registry."""

from __future__ import annotations

import hashlib
import io
import itertools
import random
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import trailmark as tm
from tests.support import ServerProcess, client_env, start_server, wait_for
from trailmark.client import Client, FileSlice
from trailmark.errors import CorruptBlob, Unavailable
from trailmark.sdk import content_http
from trailmark.sdk.content import FileSource
from trailmark.sdk.content_http import HttpContent

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for this module's tests (each uses its own names): starting one takes seconds."""
    proc = start_server(tmp_path_factory.mktemp("artifacts") / "server")
    try:
        yield proc
    finally:
        proc.stop()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_new_version_uploads_only_what_changed(server: ServerProcess, tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    for i in range(1000):
        write(shards / f"{i:04}.bin", random.Random(i).randbytes(1024))
    run = tm.init(project="p", url=server.url, dir=tmp_path / "client")
    first = tm.Artifact("shards")
    first.add_dir(shards)
    run.log_artifact(first).wait(120)
    write(shards / "0500.bin", b"changed" * 100)
    second = tm.Artifact("shards")
    second.add_dir(shards)
    run.log_artifact(second).wait(120)
    run.finish()
    print(
        f"\ndedup: v0 uploaded {first.uploaded_bytes} bytes in {first.uploaded_files} files; "
        f"v1 uploaded {second.uploaded_bytes} bytes in {second.uploaded_files} file(s)"
    )
    assert (first.version, second.version) == (0, 1)
    assert (first.uploaded_files, first.uploaded_bytes) == (1000, 1000 * 1024)
    assert (second.uploaded_files, second.uploaded_bytes) == (1, 700)


class _Dropping:
    """A FileSlice that loses the connection after ``budget`` bytes (once)."""

    budget = 0

    def __init__(self, *args: Any) -> None:
        self.inner = FileSlice(*args)

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        _Dropping.budget -= len(data)
        if _Dropping.budget < 0:
            raise ConnectionResetError("the network went away")
        return data


def test_an_interrupted_upload_resumes_where_it_stopped(
    server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = random.Random(1).randbytes(12 * MiB + 123)
    digest = hashlib.sha256(data).hexdigest()
    source = write(tmp_path / "big.bin", data)
    _Dropping.budget = 5 * MiB + 2 * MiB  # the first chunk, then the connection drops mid-chunk
    monkeypatch.setattr(content_http, "FileSlice", _Dropping)
    client = HttpContent(server.url, tmp_path / "client", part_size=5 * MiB)
    with pytest.raises(Unavailable):
        client.upload("p", digest, len(data), source, lambda n: None)
    client.close()
    monkeypatch.undo()

    sessions = list((tmp_path / "client" / "uploads").glob("*.json"))
    assert len(sessions) == 1  # kept on disk, so even a new process resumes
    api = Client(server.url)
    session_id = sessions[0].read_text().split('"id":"')[1].split('"')[0]
    assert api.request_json("GET", f"/api/v1/projects/p/uploads/{session_id}")["offset"] == 5 * MiB

    resumed = HttpContent(server.url, tmp_path / "client", part_size=5 * MiB)
    resumed.upload("p", digest, len(data), source, lambda n: None)
    assert resumed.bytes_uploaded == len(data) - 5 * MiB  # only what the server lacked
    assert resumed.missing("p", [digest]) == []
    assert not list((tmp_path / "client" / "uploads").glob("*.json"))
    resumed.close()
    api.close()


def _blob_path(server: ServerProcess, data: bytes) -> Path:
    digest = hashlib.sha256(data).hexdigest()
    return server.data_dir / "blobs" / "sha256" / digest[:2] / digest


def test_damaged_blobs_are_detected_at_download(server: ServerProcess, tmp_path: Path) -> None:
    small, large = b"small weights", random.Random(2).randbytes(9 * MiB)
    run = tm.init(project="p", url=server.url, dir=tmp_path / "client")
    art = tm.Artifact("m", type="model")
    art.add_file(write(tmp_path / "small.bin", small))
    art.add_file(write(tmp_path / "large.bin", large))
    run.log_artifact(art).wait(60)
    run.finish()
    for data in (small, large):
        path = _blob_path(server, data)
        path.chmod(0o644)
        with path.open("r+b") as f:
            f.seek(len(data) // 2)
            f.write(b"\xff")

    client = HttpContent(server.url, tmp_path / "fresh")
    entries = {e.path: e for e in client.files(FileSource("artifact", "m", "p", 0))}
    with pytest.raises(CorruptBlob, match="damaged"):
        client.fetch(FileSource("artifact", "m", "p", 0), entries["small.bin"], io.BytesIO())
    reader = tm.Artifact._from_version(
        client.get_version("p", "m", "v0"), client, tmp_path / "fresh" / "cache"
    )
    with pytest.raises((CorruptBlob, Unavailable)):
        reader.download(tmp_path / "out")
    assert not (tmp_path / "out" / "small.bin").exists()
    assert not (tmp_path / "out" / "large.bin").exists()
    wait_for(lambda: "damaged" in server.log_path.read_text(), 10, "the server to log the damage")
    client.close()


def test_the_registry_over_http(server: ServerProcess, tmp_path: Path) -> None:
    run = tm.init(project="fraud", url=server.url, dir=tmp_path / "client", id="train1")
    write(tmp_path / "out" / "model" / "weights.bin", b"w1")
    run.save(tmp_path / "out" / "model")
    run.finish()
    version = tm.register_model("runs/train1/model", "fraud-detector", url=server.url)
    tm.models.set_alias("fraud-detector", "champion", version.version, url=server.url)
    tm.models.promote("fraud-detector", version.version, "Production", url=server.url)
    champion = tm.models.get("fraud-detector@champion", url=server.url, dir=tmp_path / "client")
    assert (champion.version, champion.stage, champion.source_run) == (1, "Production", "train1")
    root = champion.download(tmp_path / "serve")
    assert (root / "weights.bin").read_bytes() == b"w1"
    cached = list((tmp_path / "client" / "cache" / "sha256").rglob("*"))
    assert any(p.is_file() for p in cached)  # the download went through the cache


MOVER = """
import random, sys, urllib.request, json
url, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
for _ in range(15):
    body = json.dumps({"version": rng.randint(1, 3)}).encode()
    request = urllib.request.Request(url + "/api/v1/models/m/aliases/champion", body, method="PUT",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
"""


def test_an_alias_never_names_two_versions_under_concurrent_requests(
    server: ServerProcess, tmp_path: Path
) -> None:
    run = tm.init(project="p", url=server.url, dir=tmp_path / "client", id="r")
    for i in range(3):
        write(tmp_path / f"v{i}" / "w.bin", bytes([i]))
        run.save(tmp_path / f"v{i}")
    run.finish()
    api = Client(server.url)
    for i in range(3):
        api.request_json("POST", "/api/v1/models/m/versions", {"source": f"runs/r/v{i}"})
    api.request_json("PUT", "/api/v1/models/m/aliases/champion", {"version": 1})

    processes = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(MOVER), server.url, str(seed)], env=client_env()
        )
        for seed in range(3)
    ]
    problems: list[str] = []

    def thread_mover(seed: int) -> None:
        client = Client(server.url)
        rng = random.Random(100 + seed)
        for _ in range(15):
            client.request_json(
                "PUT", "/api/v1/models/m/aliases/champion", {"version": rng.randint(1, 3)}
            )
            versions = client.request_json("GET", "/api/v1/models/m/versions")["versions"]
            holders = [v["version"] for v in versions if "champion" in v["aliases"]]
            if len(holders) != 1:
                problems.append(f"champion named {holders}")
        client.close()

    threads = [threading.Thread(target=thread_mover, args=(s,)) for s in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in processes:
        assert p.wait(60) == 0
    assert problems == []
    events = api.request_json("GET", "/api/v1/models/m/events", limit=1000)["events"]
    moves = [e["data"] for e in reversed(events) if e["kind"] == "alias_moved"]
    assert len(moves) == 1 + 6 * 15
    assert all(after["from"] == before["to"] for before, after in itertools.pairwise(moves))
    api.close()
