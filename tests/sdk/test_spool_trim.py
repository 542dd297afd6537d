"""Shipped records give their blocks back: an ack punches them out of the spool, offsets stay
valid, and whatever reads the spool afterwards (the sender, ``trailmark sync``, a reader whose
ack went back) reads exactly the records it should."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from tests.support import wait_for
from trailmark.sdk import holes, spool
from trailmark.sdk.sender import Sender, ship_available
from trailmark.sdk.sync import sync_spool
from trailmark.sdk.transports import MemoryTransport

HEADER = {"t": "hdr", "run": "r1", "project": "p", "writer": "w1", "rank": 0, "host": "h"}
RECORDS = 5_000  # ~90 bytes each: ~110 blocks of 4 kB


def _record(q: int) -> bytes:
    return orjson.dumps({"t": "m", "q": q, "s": q - 1, "w": 1.0, "d": {"loss": q / 7}}) + b"\n"


def _allocated(path: Path) -> int:
    return os.stat(path).st_blocks * 512


@pytest.fixture
def written(tmp_path: Path) -> spool.SpoolWriter:
    probe = tmp_path / "probe"
    probe.write_bytes(bytes(1 << 16))
    with probe.open("r+b") as f:
        if not holes.punch(f.fileno(), 0, 1 << 16):
            pytest.skip(f"the filesystem of {tmp_path} cannot punch holes")
    writer = spool.SpoolWriter(tmp_path / "w1.spool", HEADER)
    for q in range(1, RECORDS + 1):
        writer.write(_record(q))
    return writer


def _ship_all(path: Path) -> MemoryTransport:
    transport = MemoryTransport()
    while ship_available(path, HEADER, transport) != (0, 0):
        pass
    return transport


def test_an_ack_gives_back_the_blocks_of_what_it_covers(written: spool.SpoolWriter) -> None:
    path = written.path
    size, before = path.stat().st_size, _allocated(path)
    assert before >= size

    with spool.SpoolCursor(path) as cursor:
        lines, end = cursor.read(cursor.acked, 1 << 20, 3_000)
        cursor.ack(end)
        assert _allocated(path) <= before - (end - 8192), "the shipped blocks are given back"
        assert path.stat().st_size == size, "offsets stay valid"
        rest, _ = cursor.read(cursor.acked, 1 << 20)
    assert [orjson.loads(x)["q"] for x in lines + rest] == list(range(1, RECORDS + 1))

    transport = _ship_all(path)
    assert [r["q"] for r in transport.records] == list(range(3_001, RECORDS + 1))
    assert _allocated(path) <= 3 * 4096, "the header's block and the last record's"
    assert spool.read_header(path) == HEADER
    written.write(_record(RECORDS + 1))
    assert [r["q"] for r in _ship_all(path).records] == [RECORDS + 1], "appends go on"


def test_a_reader_whose_ack_went_back_skips_what_was_given_back(
    written: spool.SpoolWriter,
) -> None:
    path = written.path
    _ship_all(path)
    spool.write_ack(path, 0)  # e.g. `trailmark sync` and the sender both shipping the spool
    again = _ship_all(path)
    # Whole records only (a NUL-filled line would not even parse), shipped before, once more:
    # those in the header's block, then those after the range given back.
    qs = [r["q"] for r in again.records]
    assert qs == sorted(set(qs)) and qs[0] == 1 and qs[-1] == RECORDS
    gap = next(i for i in range(1, len(qs)) if qs[i] != qs[i - 1] + 1)
    assert qs[gap:] == list(range(qs[gap], RECORDS + 1)) and len(qs) < RECORDS // 10
    assert spool.count_lines_after(path, spool.read_ack(path)) == 0


def test_sync_finishes_a_dead_writers_trimmed_spool_without_calling_it_crashed(
    written: spool.SpoolWriter, tmp_path: Path
) -> None:
    path = written.path
    fin = {"t": "fin", "q": RECORDS + 1, "state": "finished", "exit_code": 0, "w": 2.0}
    written.write(orjson.dumps(fin) + b"\n")
    _ship_all(path)
    written.close()  # as if the process died after shipping, before removing its spool
    assert not spool.reserve_path(path).exists()

    result = sync_spool(path, data_dir=tmp_path / "store")
    assert not result.marked_crashed, "the finish record was kept whole"
    assert (result.remaining, result.error) == (0, None)
    assert not path.exists() and not spool.ack_path(path).exists()


class SlowPacedTransport(MemoryTransport):
    """Asks for one batch a minute: the sender ships again only when woken."""

    ship_interval = 60.0


def test_the_finish_record_on_a_full_disk_makes_the_sender_ship_at_once(
    written: spool.SpoolWriter,
) -> None:
    path = written.path
    transport = SlowPacedTransport()
    sender = Sender(path, HEADER, transport)
    sender.start()
    wait_for(lambda: len(transport.records) == RECORDS, 10, "the first batch")
    written.write(_record(RECORDS + 1))  # the sender now sleeps for a minute
    assert sender.make_room(essential=False) is False, "a big disk is not full of the spool"
    assert sender.make_room(essential=True) is True, "woken, it shipped"
    # Within seconds, not the minute the transport asks for between batches.
    wait_for(lambda: transport.records[-1]["q"] == RECORDS + 1, 10, "the backlog shipped")
    assert sender.stop(timeout=10).complete
    assert sender.make_room(essential=True) is False, "a stopped sender makes no room"
