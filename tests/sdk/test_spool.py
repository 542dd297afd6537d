"""The spool cursor: reads after the ack, acks in place, knows when a read was cut short."""

from __future__ import annotations

from pathlib import Path

import orjson

from trailmark.sdk import spool

HEADER = {"t": "hdr", "run": "r1", "project": "p", "writer": "w1", "rank": 0, "host": "h"}


def _spool_with(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "w1.spool"
    writer = spool.SpoolWriter(path, HEADER)
    for q in range(1, count + 1):
        writer.write(orjson.dumps({"t": "m", "q": q, "s": q, "w": 1.0, "d": {"x": 1.0}}) + b"\n")
    writer.close()
    return path


def _qs(lines: list[bytes]) -> list[int]:
    return [orjson.loads(line)["q"] for line in lines]


def test_reads_records_after_the_header_and_then_after_each_ack(tmp_path: Path) -> None:
    path = _spool_with(tmp_path, 5)
    with spool.SpoolCursor(path) as cursor:
        lines, end = cursor.read(cursor.acked, 1 << 20, 3)
        assert _qs(lines) == [1, 2, 3]
        assert cursor.cut_short
        cursor.ack(end)
        lines, end = cursor.read(cursor.acked, 1 << 20, 3)
        assert _qs(lines) == [4, 5]
        assert not cursor.cut_short
        cursor.ack(end)
        assert cursor.read(cursor.acked, 1 << 20) == ([], end)
    assert spool.read_ack(path) == end
    assert spool.count_lines_after(path, end) == 0


def test_an_ack_written_in_place_replaces_a_longer_older_one(tmp_path: Path) -> None:
    path = _spool_with(tmp_path, 2)
    spool.ack_path(path).write_text("123456789")  # an older SDK's ack: shorter width, no pad
    assert spool.read_ack(path) == 123456789
    with spool.SpoolCursor(path) as cursor:
        assert cursor.acked == 123456789
        cursor.ack(7)
    assert spool.read_ack(path) == 7
    spool.write_ack(path, 12)  # what `trailmark sync` writes: the same file, in place
    assert spool.read_ack(path) == 12


def test_a_line_being_written_waits_for_its_newline(tmp_path: Path) -> None:
    path = _spool_with(tmp_path, 1)
    with path.open("ab") as f:
        f.write(b'{"t":"m","q":2')  # a write in progress
    with spool.SpoolCursor(path) as cursor:
        lines, end = cursor.read(0, 1 << 20)
        assert _qs(lines) == [1]
        with path.open("ab") as f:
            f.write(b',"s":2,"w":1.0,"d":{}}\n')
        lines, _ = cursor.read(end, 1 << 20)
        assert _qs(lines) == [2]


def test_a_record_larger_than_the_byte_limit_still_ships_whole(tmp_path: Path) -> None:
    path = _spool_with(tmp_path, 3)
    with spool.SpoolCursor(path) as cursor:
        lines, end = cursor.read(0, 10)
        assert _qs(lines) == [1]
        assert cursor.cut_short
        lines, _ = cursor.read(end, 1 << 20)
        assert _qs(lines) == [2, 3]


def test_read_lines_keeps_its_contract(tmp_path: Path) -> None:
    path = _spool_with(tmp_path, 4)
    lines, end = spool.read_lines(path, 0, 1 << 20, 2)
    assert _qs(lines) == [1, 2]
    lines, _ = spool.read_lines(path, end, 1 << 20)
    assert _qs(lines) == [3, 4]
