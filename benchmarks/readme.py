"""The README's benchmark table, rewritten between its markers after a full run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import table
from benchmarks.core import Figure

README = Path(__file__).resolve().parents[1] / "README.md"
START = "<!-- bench-table:start (written by `make bench`) -->"
END = "<!-- bench-table:end -->"


def section(saved: dict[str, Any]) -> str:
    """The Markdown table of a saved run with the machine, date and versions it ran with."""
    box = saved["machine"]
    versions = ", ".join(f"{name} {version}" for name, version in saved["versions"].items())
    rendered = table.render(table.from_json(saved), saved, markdown=True)
    body = rendered.split("\n\nDetails", 1)[0]
    speed = ""
    if saved.get("calibration"):
        took = Figure.from_json(saved["calibration"]).value * 1e3
        speed = (
            f" A fixed pure-Python workload took {took:.1f} ms (about 10 ms when this machine "
            "is quiet: a higher figure means a slower machine, and every row slower with it)."
        )
    return "\n".join(
        [
            f"Measured {saved.get('generated', '')[:16].replace('T', ' ')} UTC on "
            f"{box.get('cpu_model', 'an unknown CPU')}, {box['cpus']} cores, "
            f"Python {box['python']}, {box['platform']}; load average "
            f"{box['load_average'][0]:.1f} at the end; {versions}. "
            "Every figure is a median of repetitions; the anchors ran in the same invocation."
            + speed,
            "",
            body,
        ]
    )


def update(saved: dict[str, Any], readme: Path = README) -> bool:
    """Replace the table between the markers; False if the README has no markers."""
    text = readme.read_text()
    if START not in text or END not in text:
        return False
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{section(saved)}\n{END}{tail}")
    return True
