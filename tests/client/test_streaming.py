"""``stream``: a file slice goes up piece by piece, a download goes into a writable, checked."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

import pytest

from tests.client.conftest import Answer, ScriptedServer
from trailmark.client import BLOCK, Client, FileSlice, Retry
from trailmark.errors import Conflict, Unavailable

FAST = Retry(attempts=3, backoff=0.01, max_backoff=0.02)


def test_a_file_slice_goes_up_with_its_length(scripted: ScriptedServer, tmp_path: Path) -> None:
    data = random.Random(3).randbytes(3 * BLOCK + 17)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    counted: list[int] = []
    with source.open("rb") as f, Client(scripted.url) as client:
        body = FileSlice(f, BLOCK, 2 * BLOCK + 5, counted.append)
        answer = client.stream("PUT", "/blob", upload=body, params={"offset": BLOCK})
    assert answer.json() == {"ok": True}
    (seen,) = scripted.seen
    assert seen.path == f"/blob?offset={BLOCK}"
    assert seen.body == data[BLOCK : 3 * BLOCK + 5]
    assert seen.headers["Content-Length"] == str(2 * BLOCK + 5)
    assert seen.headers["Content-Type"] == "application/octet-stream"
    assert sum(counted) == 2 * BLOCK + 5 and max(counted) <= BLOCK


def test_an_upload_read_from_a_file_is_never_sent_twice(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    source = tmp_path / "f.bin"
    source.write_bytes(b"x" * 1000)
    scripted.plan(Answer(503, b'{"error": {"code": "unavailable", "message": "busy"}}'))
    with source.open("rb") as f, pytest.raises(Unavailable):
        Client(scripted.url, retry=FAST).stream("PUT", "/blob", upload=FileSlice(f, 0, 1000))
    assert len(scripted.seen) == 1


def test_an_upload_of_another_reader_needs_its_length(scripted: ScriptedServer) -> None:
    client = Client(scripted.url)
    with pytest.raises(ValueError, match="length"):
        client.stream("PUT", "/blob", upload=io.BytesIO(b"abc"))
    client.stream("PUT", "/blob", upload=io.BytesIO(b"abc"), length=3)
    assert scripted.seen[-1].body == b"abc"


def test_a_download_goes_into_the_writable(scripted: ScriptedServer) -> None:
    data = random.Random(4).randbytes(2 * BLOCK + 99)
    scripted.plan(Answer(body=data, headers=(("Content-Type", "application/octet-stream"),)))
    sink = io.BytesIO()
    pieces: list[int] = []
    with Client(scripted.url) as client:
        answer = client.stream("GET", "/file", into=sink, on_read=pieces.append)
    assert (answer.size, answer.content) == (len(data), b"")
    assert hashlib.sha256(sink.getvalue()).digest() == hashlib.sha256(data).digest()
    assert sum(pieces) == len(data)
    assert scripted.seen[0].headers["Accept"] == "*/*"


def test_a_download_cut_short_raises_and_is_not_retried(scripted: ScriptedServer) -> None:
    scripted.plan(Answer(body=b"partial", declared_length=100))
    sink = io.BytesIO()
    with pytest.raises(Unavailable, match=r"cut short after 7 bytes|ended after 7 of 100"):
        Client(scripted.url, retry=FAST).stream("GET", "/file", into=sink)
    assert len(scripted.seen) == 1 and sink.getvalue() == b"partial"


def test_a_download_is_retried_before_its_first_byte(scripted: ScriptedServer) -> None:
    scripted.plan(Answer(503, b'{"error": {"code": "unavailable", "message": "busy"}}'))
    sink = io.BytesIO()
    Client(scripted.url, retry=FAST).stream("GET", "/file", into=sink)
    assert sink.getvalue() == b'{"ok": true}' and len(scripted.seen) == 2


def test_an_error_answer_is_not_written_into_the_sink(scripted: ScriptedServer) -> None:
    scripted.plan(Answer(409, b'{"error": {"code": "conflict", "message": "moved on"}}'))
    sink = io.BytesIO()
    with pytest.raises(Conflict, match="moved on"):
        Client(scripted.url).stream("GET", "/file", into=sink)
    assert sink.getvalue() == b""
