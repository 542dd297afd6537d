"""Console text into lines: newlines, carriage-return progress bars, long lines, batching."""

from __future__ import annotations

from typing import Any

import pytest

from trailmark.limits import MAX_CONSOLE_LINE_CHARS
from trailmark.sdk.capture import lines as lines_module
from trailmark.sdk.capture.lines import ConsoleRecorder


class Sink:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def __call__(self, record: dict[str, Any]) -> None:
        self.records.append(record)

    @property
    def lines(self) -> list[tuple[str, str]]:
        return [(stream, text) for r in self.records for _t, stream, text in r["lines"]]


@pytest.fixture
def sink() -> Sink:
    return Sink()


def recorded(sink: Sink, *writes: tuple[str, str]) -> list[tuple[str, str]]:
    recorder = ConsoleRecorder(sink)
    for stream, text in writes:
        recorder.feed(stream, text, now=1.0)
    recorder.close()
    return sink.lines


def test_lines_in_any_pieces_and_both_streams(sink: Sink) -> None:
    got = recorded(
        sink,
        ("stdout", "hel"),
        ("stdout", "lo\nwor"),
        ("stderr", "oops\n"),
        ("stdout", "ld\n\nlast without newline"),
    )
    assert got == [
        ("stdout", "hello"),
        ("stderr", "oops"),
        ("stdout", "world"),
        ("stdout", ""),
        ("stdout", "last without newline"),
    ]
    assert all(r["t"] == "log" for r in sink.records)


def test_a_progress_bar_keeps_its_last_state(sink: Sink) -> None:
    bar = "".join(f"\r{p:3d}%|{'#' * (p // 10):<10}|" for p in range(0, 101, 5))
    got = recorded(sink, ("stderr", bar + "\n"), ("stderr", "done\r\n"))
    assert got == [("stderr", "100%|##########|"), ("stderr", "done")]


def test_a_cleared_bar_shows_where_it_was_and_a_bar_without_newline_is_kept(sink: Sink) -> None:
    got = recorded(
        sink,
        ("stderr", "\r 50%|#####     |\r" + " " * 20 + "\r"),
        ("stderr", "message\n"),
        ("stderr", "\r 10%|#|\r 20%|##|"),
    )
    assert got == [("stderr", "message"), ("stderr", " 20%|##|")]


def test_a_cleared_bar_alone_leaves_its_last_state(sink: Sink) -> None:
    assert recorded(sink, ("stdout", "\r 30%\r     \r\n")) == [("stdout", " 30%")]


def test_a_very_long_line_is_cut_with_a_note(sink: Sink) -> None:
    got = recorded(sink, ("stdout", "x" * (MAX_CONSOLE_LINE_CHARS + 10)), ("stdout", "yz\n"))
    (_stream, text), *_ = got
    assert text.startswith("x" * MAX_CONSOLE_LINE_CHARS)
    assert text.endswith("[trailmark: line cut at 65536 characters; 12 more not kept]")


def test_lines_are_batched(sink: Sink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines_module, "FLUSH_LINES", 10)
    recorded(sink, ("stdout", "".join(f"{i}\n" for i in range(25))))
    assert [len(r["lines"]) for r in sink.records] == [10, 10, 5]
    assert [text for _stream, text in sink.lines] == [str(i) for i in range(25)]


def test_records_stay_small_whatever_the_lines(sink: Sink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines_module, "FLUSH_CHARS", 1000)
    recorded(sink, ("stdout", "".join("y" * 400 + "\n" for _ in range(5))))
    assert [len(r["lines"]) for r in sink.records] == [2, 2, 1]
