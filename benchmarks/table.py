"""The printed table and the JSON written beside it."""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path
from typing import Any

import orjson

from benchmarks.core import MB, Figure, Row
from benchmarks.rows import ROWS
from benchmarks.suite import Results

DASH = "—"
ANCHOR_TITLES = {"mlflow": "MLflow", "trackio": "Trackio"}


def _num(value: float) -> str:
    """Three significant digits, no trailing zeros: 4.2, 38, 142, 1234."""
    return f"{value:.0f}" if value >= 1000 else f"{value:.3g}"


def fmt(value: float, unit: str) -> str:
    """A value in a readable unit: 4.2 µs, 38 ms, 1.9 s, 7.7 B, 96 MB, 312k pts/s."""
    if value != value:  # NaN
        return "n/a"
    if unit == "s":
        if value < 1e-3:
            return f"{_num(value * 1e6)} µs"
        if value < 1:
            return f"{_num(value * 1e3)} ms"
        return f"{_num(value)} s"
    if unit == "B":
        return f"{_num(value / MB)} MB" if value >= MB else f"{_num(value)} B"
    if unit == "pts/s":
        if value >= 1e6:
            return f"{_num(value / 1e6)}M pts/s"
        return f"{_num(value / 1e3)}k pts/s"
    if unit == "count":
        return f"{value:.0f}"
    return f"{_num(value)} {unit}"


def target_text(row: Row) -> str:
    sign = "≤" if row.direction == "lower" else "≥"
    return f"{sign} {fmt(row.target, row.unit)}"


def ratio(anchor: Figure, ours: Figure | None, row: Row) -> str:
    """How many times Trailmark's figure the anchor's is (rates: Trailmark's over the anchor's)."""
    if ours is None or ours.value <= 0 or anchor.value <= 0:
        return ""
    times = ours.value / anchor.value if row.direction == "higher" else anchor.value / ours.value
    return f"×{times:.0f}" if times >= 10 else f"×{times:.1f}"


def verdict(row: Row, fig: Figure | None) -> str:
    if fig is None:
        return ""
    return "meets" if row.meets(fig.value) else "MISSES"


def anchor_cell(row: Row, figures: list[Figure], ours: Figure | None) -> str:
    if not figures:
        return DASH
    first = figures[0]
    text = f"{fmt(first.value, first.unit)} {ratio(first, ours, row)}".strip()
    if "extrapolated" in first.note:
        text += " (extrap.)"
    if len(figures) > 1:
        text += f" +{len(figures) - 1}"
    return text


def _cells(results: Results, rows: tuple[Row, ...]) -> list[list[str]]:
    out = []
    for row in rows:
        ours = results.trailmark.get(row.name)
        cells = [row.label, fmt(ours.value, ours.unit) if ours else DASH]
        cells += [target_text(row), verdict(row, ours)]
        for anchor in ANCHOR_TITLES:
            cells.append(anchor_cell(row, results.anchors.get(anchor, {}).get(row.name, []), ours))
        out.append(cells)
    return out


def shown_rows(results: Results) -> tuple[Row, ...]:
    measured = set(results.trailmark) | {r for a in results.anchors.values() for r in a}
    return tuple(row for row in ROWS if row.name in measured)


def render(results: Results, meta: dict[str, Any], markdown: bool = False) -> str:
    """The table, then the details; ``meta`` holds ``machine`` and ``versions``."""
    rows = shown_rows(results)
    header = ["what (median of repetitions)", "Trailmark", "target", "verdict"]
    header += list(ANCHOR_TITLES.values())
    body = _cells(results, rows)
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c.replace("|", "/") for c in cells) + " |" for cells in body]
    else:
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
        lines.append("  ".join("-" * w for w in widths))
        lines += [
            "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) for cells in body
        ]
    lines += ["", *details(results, rows, meta)]
    return "\n".join(lines)


def details(results: Results, rows: tuple[Row, ...], meta: dict[str, Any]) -> list[str]:
    """Every figure's notes and every anchor idiom: what the short cells stand for."""
    lines = [
        "Details (×N: the anchor's figure over Trailmark's, both measured in this run; "
        "+N in a cell: N more idioms listed here):"
    ]
    for row in rows:
        ours = results.trailmark.get(row.name)
        parts: list[str] = []
        if ours is not None and ours.note:
            parts.append(f"Trailmark: {ours.note}")
        for anchor, title in ANCHOR_TITLES.items():
            for fig in results.anchors.get(anchor, {}).get(row.name, []):
                text = f"{title} {fig.label}: {fmt(fig.value, fig.unit)} {ratio(fig, ours, row)}"
                parts.append(text.strip() + (f" ({fig.note})" if fig.note else ""))
        if parts:
            lines.append(f"- {row.name}: " + "; ".join(parts))
    box = meta["machine"]
    lines += [
        "",
        f"Mode {results.scale.name}; versions: "
        + ", ".join(f"{name} {version}" for name, version in meta["versions"].items()),
    ]
    text = f"Machine: {box['cpus']} CPUs, load average {box['load_average'][0]:.1f} at the end"
    calibration = results.calibration()
    if calibration is not None:
        text += (
            f"; a fixed pure-Python workload took {fmt(calibration.value, 's')} (median of "
            f"one before each case, {fmt(min(calibration.reps), 's')} to "
            f"{fmt(max(calibration.reps), 's')})"
        )
    lines.append(text)
    if results.errors:
        lines += ["", "Errors:"]
        lines += [f"- {where}: {text.strip()[:600]}" for where, text in results.errors.items()]
    return lines


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "an unknown CPU"


def machine() -> dict[str, Any]:
    return {
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()),
    }


def to_json(results: Results, meta: dict[str, Any]) -> dict[str, Any]:
    calibration = results.calibration()
    rows = []
    for row in shown_rows(results):
        ours = results.trailmark.get(row.name)
        rows.append(
            {
                "name": row.name,
                "label": row.label,
                "unit": row.unit,
                "direction": row.direction,
                "target": row.target,
                "trailmark": ours.to_json() if ours else None,
                "verdict": verdict(row, ours).lower() or None,
                "anchors": {
                    anchor: [f.to_json() for f in results.anchors.get(anchor, {}).get(row.name, [])]
                    for anchor in ANCHOR_TITLES
                },
            }
        )
    return {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": results.scale.name,
        "versions": meta["versions"],
        "machine": meta["machine"],
        "rows": rows,
        "calibration": calibration.to_json() if calibration else None,
        "errors": results.errors,
        "case_seconds": {k: round(v, 2) for k, v in results.seconds.items()},
    }


def from_json(data: dict[str, Any]) -> Results:
    """A saved results file back as :class:`Results`, to print it again (``--show``)."""
    from benchmarks.core import FULL, GUARD, QUICK

    scale = {s.name: s for s in (FULL, QUICK, GUARD)}[data["mode"]]
    results = Results(scale, errors=dict(data.get("errors") or {}))
    for row in data["rows"]:
        if row["trailmark"]:
            results.trailmark[row["name"]] = Figure.from_json(row["trailmark"])
        for anchor, figures in row["anchors"].items():
            if figures:
                by_row = results.anchors.setdefault(anchor, {})
                by_row[row["name"]] = [Figure.from_json(f) for f in figures]
    if data.get("calibration"):
        results.speed = Figure.from_json(data["calibration"]).reps
    return results


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
