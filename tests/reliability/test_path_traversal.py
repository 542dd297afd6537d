"""Every route that reads or writes files, fed path tricks: each is refused with a 4xx or
answered with the dashboard's index page, and canary files outside the served folder and the
data dir are never served, read or changed.

Today the only such route is the dashboard (static files under ``/``). To cover another,
add a :class:`FileRoute` to ``FILE_ROUTES`` (with a ``prepare`` that creates what it needs,
e.g. an artifact version) — every payload of the corpus is then tried against it.
"""

from __future__ import annotations

import os
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability.helpers import RawResponse, Server, raw_request

SERVERS = Path(__file__).with_name("servers.py")
INDEX = b"<!doctype html><title>Trailmark test UI</title>"
CANARY = b"CANARY-7f3a91-outside-the-served-folder"
DB_MAGIC = b"SQLite format 3"


@dataclass(frozen=True)
class FileRoute:
    """A route that takes a file path; ``{path}`` in ``template`` receives the payload raw."""

    name: str
    template: str
    spa_fallback: bool = False
    """Whether an unknown path may be answered with the dashboard's index page."""
    prepare: Callable[[Server], None] | None = None


FILE_ROUTES = [
    FileRoute("dashboard", "/{path}", spa_fallback=True),
    FileRoute("dashboard asset", "/assets/{path}", spa_fallback=True),
]


def corpus(outside: Path) -> list[bytes]:
    """Path tricks, as raw bytes of the request target (no client library normalises them)."""
    name = b"canary.txt"
    absolute = str(outside / "canary.txt").encode()
    ups = [b"../", b"..%2f", b"..%2F", b"%2e%2e/", b"%2e%2e%2f", b".%2e/", b"%252e%252e%252f"]
    ups += [b"..%5c", b"..\\", b"%2e%2e%5c", b"....//", b"..;/", b"%c0%ae%c0%ae/", b"..%c0%af"]
    ups += [b"%u002e%u002e/", b"..%255c", b"..%00/", b"%2e%2e%252f"]
    payloads = [up * depth + name for up in ups for depth in (1, 2, 4, 8)]
    payloads += [up * 6 + b"etc/passwd" for up in ups[:6]]
    payloads += [
        b"/" + absolute,
        b"%2f" + absolute.lstrip(b"/"),
        absolute.replace(b"/", b"%2f"),
        absolute.replace(b"/", b"\\"),
        b"file://" + absolute,
        b"file:" + absolute,
        b"C:\\Windows\\win.ini",
        b"C:/Windows/win.ini",
        b"c%3a%5cwindows%5cwin.ini",
        b"\\\\server\\share\\canary.txt",
        b"index.html%00.txt",
        b"index.html\x00../../canary.txt",
        b"../canary.txt\x00.html",
        b"link-to-canary.txt",
        b"assets/link-to-canary.js",
        b"outside/canary.txt",
        b"outside/../outside/canary.txt",
        b"assets/../link-to-canary.txt",
        b"trailmark.db",
        b"../server/trailmark.db",
        b"../../server/trailmark.db",
        b"%2e%2e/server/trailmark.db",
        b".",
        b"..",
        b"%2e",
        b"%2e%2e",
        b"~/.ssh/id_rsa",
        b"assets/%2e%2e/%2e%2e/canary.txt",
    ]
    return payloads


@pytest.fixture
def rigged(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    """A server whose dashboard folder holds planted symlinks, canaries all around it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "canary.txt").write_bytes(CANARY)
    (tmp_path / "canary.txt").write_bytes(CANARY)
    dist = tmp_path / "www" / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_bytes(INDEX)
    (dist / "assets" / "app.js").write_text("console.log('ui')")
    (dist / "link-to-canary.txt").symlink_to(outside / "canary.txt")
    (dist / "assets" / "link-to-canary.js").symlink_to(outside / "canary.txt")
    (dist / "outside").symlink_to(outside, target_is_directory=True)
    server = Server(
        tmp_path / "server",
        command=[sys.executable, str(SERVERS), "dashboard", "{data_dir}", "{port}", str(dist)],
    )
    server.start()
    try:
        yield server, outside
    finally:
        server.stop()


def get(server: Server, target: bytes) -> RawResponse:
    request = b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    return raw_request(server.port, request)


def canaries(root: Path) -> list[Path]:
    return [root / "canary.txt", root / "outside" / "canary.txt"]


def reads_update_atime(directory: Path) -> bool:
    """Whether this filesystem records reads (relatime does, when atime <= mtime)."""
    probe = directory / "probe"
    probe.write_bytes(b"probe")
    os.utime(probe, (0, probe.stat().st_mtime))
    probe.read_bytes()
    return probe.stat().st_atime > 0


@pytest.mark.parametrize("route", FILE_ROUTES, ids=lambda r: r.name)
def test_path_tricks_never_leave_the_served_folder(
    rigged: tuple[Server, Path], route: FileRoute, tmp_path: Path
) -> None:
    server, outside = rigged
    if route.prepare:
        route.prepare(server)
    watch_reads = reads_update_atime(tmp_path)
    before = {}
    for canary in canaries(tmp_path):
        os.utime(canary, (0, canary.stat().st_mtime))  # a read would move atime forward
        before[canary] = canary.stat()

    payloads = corpus(outside)
    for payload in payloads:
        target = route.template.encode().replace(b"{path}", payload)
        answer = get(server, target)
        if answer.status in (301, 302, 307, 308):  # e.g. a folder inside, with its slash added
            location = urllib.parse.urlsplit(answer.headers["location"])
            assert location.netloc in ("", "127.0.0.1", f"127.0.0.1:{server.port}"), location
            answer = get(server, location.path.encode())
        assert CANARY not in answer.body and DB_MAGIC not in answer.body, (target, answer)
        served_index = answer.status == 200 and answer.body == INDEX
        assert 400 <= answer.status < 500 or (route.spa_fallback and served_index), (target, answer)

    for canary, stat in before.items():
        now = canary.stat()
        assert canary.read_bytes() == CANARY and now.st_mtime == stat.st_mtime, "untouched"
        if watch_reads:
            assert now.st_atime == 0, f"{canary} was read"
    assert server.process is not None and server.process.poll() is None
    print(f"\n{route.name}: {len(payloads)} path tricks refused or answered with the index page")
