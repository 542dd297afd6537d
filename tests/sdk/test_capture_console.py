"""Console capture: wrap (Python-level tees) in-process, redirect (fds 1 and 2) in a child."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest

from trailmark.sdk.capture import CaptureOptions, Captures, start_captures
from trailmark.sdk.capture.console import choose_mode
from trailmark.sdk.distributed import RankInfo


def console_only(mode: str) -> CaptureOptions:
    return CaptureOptions(system_interval=0, console=mode, code=False, environment=False)


def logged_lines(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(s, text) for r in records if r["t"] == "log" for _t, s, text in r["lines"]]


def test_wrap_records_python_output_and_restores_the_streams(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records: list[dict[str, Any]] = []
    before = (sys.stdout, sys.stderr)
    captures = start_captures(records.append, console_only("wrap"), RankInfo(), tmp_path)
    assert captures.console_mode == "wrap"
    print("to stdout")
    print("to stderr", file=sys.stderr)
    sys.stdout.write("partial")
    captures.stop()
    assert (sys.stdout, sys.stderr) == before
    print("after the run")
    assert logged_lines(records) == [
        ("stdout", "to stdout"),
        ("stderr", "to stderr"),
        ("stdout", "partial"),
    ]
    seen = capsys.readouterr()
    assert seen.out == "to stdout\npartialafter the run\n"
    assert seen.err == "to stderr\n"


def test_a_newer_run_takes_the_console_over(tmp_path: Path) -> None:
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    before = sys.stdout
    older = start_captures(first.append, console_only("wrap"), RankInfo(), tmp_path)
    print("one")
    newer = start_captures(second.append, console_only("wrap"), RankInfo(), tmp_path)
    print("two")
    newer.stop()
    older.stop()
    assert sys.stdout is before
    assert logged_lines(first) == [("stdout", "one")]
    assert logged_lines(second) == [("stdout", "two")]


def test_auto_wraps_when_sys_stdout_is_not_descriptor_1() -> None:
    # Under pytest's capture sys.stdout is a file of its own, as under Jupyter.
    assert choose_mode("auto") in ("wrap", "redirect")
    assert choose_mode("off") == "off"
    assert choose_mode("wrap") == "wrap"


REDIRECTED = textwrap.dedent(
    """
    import ctypes, os, subprocess, sys
    import orjson
    from pathlib import Path
    from trailmark.sdk.capture import CaptureOptions, start_captures
    from trailmark.sdk.distributed import RankInfo

    records = []
    options = CaptureOptions(system_interval=0, console=sys.argv[1], code=False, environment=False)
    captures = start_captures(records.append, options, RankInfo(), Path("."))
    print("python print")
    os.write(1, b"straight to fd 1\\n")
    os.write(2, b"straight to fd 2\\n")
    ctypes.CDLL(None).puts(b"from C stdio")
    subprocess.run([sys.executable, "-c", "print('from a child process')"], check=True)
    print("caf\\u00e9 \\u2713")
    captures.stop()
    print("after stop")
    Path(sys.argv[2]).write_bytes(orjson.dumps(records))
    """
)


@pytest.mark.parametrize("mode", ["redirect", "auto"])
def test_redirect_records_what_c_code_and_children_write(tmp_path: Path, mode: str) -> None:
    out = tmp_path / "records.json"
    done = subprocess.run(
        [sys.executable, "-c", REDIRECTED, mode, str(out)],
        capture_output=True,
        timeout=60,
        check=True,
    )
    lines = logged_lines(orjson.loads(out.read_bytes()))
    assert ("stdout", "python print") in lines
    assert ("stdout", "straight to fd 1") in lines
    assert ("stderr", "straight to fd 2") in lines
    assert ("stdout", "from C stdio") in lines
    assert ("stdout", "from a child process") in lines
    assert ("stdout", "café ✓") in lines
    assert not any("after stop" in text for _s, text in lines)
    # The user still sees everything, unchanged.
    stdout = done.stdout.decode()
    for text in ("python print", "straight to fd 1", "from C stdio", "from a child", "café ✓"):
        assert text in stdout
    assert stdout.rstrip().endswith("after stop")
    assert done.stderr.decode() == "straight to fd 2\n"


def test_stop_is_idempotent(tmp_path: Path) -> None:
    captures = Captures()
    captures.stop()
    captures.stop()


TERMINAL = textwrap.dedent(
    """
    import os, sys
    import orjson
    from pathlib import Path
    from trailmark.sdk.capture import CaptureOptions, start_captures
    from trailmark.sdk.distributed import RankInfo

    records = []
    options = CaptureOptions(system_interval=0, console="auto", code=False, environment=False)
    captures = start_captures(records.append, options, RankInfo(), Path("."))
    print("isatty", os.isatty(1), os.isatty(2), os.get_terminal_size(1).columns)
    print("\\033[32mgreen\\033[0m")
    captures.stop()
    Path(sys.argv[1]).write_bytes(orjson.dumps(records))
    """
)


def test_on_a_terminal_programs_still_see_a_terminal(tmp_path: Path) -> None:
    import fcntl
    import os
    import struct
    import termios

    out = tmp_path / "records.json"
    reader, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 132, 0, 0))
    child = subprocess.Popen(
        [sys.executable, "-c", TERMINAL, str(out)], stdout=terminal, stderr=terminal
    )
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(reader, 4096)
        except OSError:  # EIO: the child and its terminal are gone
            break
        if not chunk:
            break
        seen += chunk
    os.close(reader)
    assert child.wait(60) == 0, seen
    lines = logged_lines(orjson.loads(out.read_bytes()))
    assert lines == [("stdout", "isatty True True 132"), ("stdout", "\x1b[32mgreen\x1b[0m")]
    assert b"isatty True True 132" in seen and b"\x1b[32mgreen" in seen
