"""The command behind ``make bench`` (``benchmarks/run.py`` puts the repo on the path first)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson

from benchmarks import guard, readme, suite, table
from benchmarks.anchors.runner import ANCHORS
from benchmarks.core import FULL, GUARD, QUICK
from benchmarks.rows import ROWS
from benchmarks.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="Trailmark's figures against their targets, beside MLflow and Trackio.",
    )
    parser.add_argument("--quick", action="store_true", help="smaller workloads, fewer repetitions")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run one row or case (repeatable)",
    )
    parser.add_argument("--no-anchors", action="store_true", help="Trailmark only")
    parser.add_argument("--list", action="store_true", help="list the rows and cases")
    parser.add_argument("--show", type=Path, metavar="JSON", help="print a saved results file")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument(
        "--readme",
        action="store_true",
        help="with --show: write that table into README.md (a full run does it by itself)",
    )
    parser.add_argument("--out", type=Path, help="where to write the JSON (default: see below)")
    parser.add_argument(
        "--guard",
        action="store_true",
        help="the regression guard's short Trailmark-only run (tests/benchmarks)",
    )
    parser.add_argument(
        "--record-baseline",
        action="store_true",
        help=f"run the guard's short run {guard.RECORD_RUNS} times and write to "
        f"{guard.BASELINE.name} each figure's best repetition of its slowest run",
    )
    parser.epilog = (
        "The full suite writes results/latest.json; --quick, --only and --guard write "
        "results/partial.tmp.json unless --out is given."
    )
    return parser.parse_args(argv)


def list_rows() -> None:
    for case in suite.CASES:
        print(f"{case.name}: {', '.join(case.rows)}")
    print()
    for row in ROWS:
        print(f"{row.name:20} {table.target_text(row):14} {row.label}")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.list:
        list_rows()
        return 0
    if args.show:
        saved = orjson.loads(args.show.read_bytes())
        print(table.render(table.from_json(saved), saved, markdown=args.markdown))
        if args.readme and readme.update(saved):
            print(f"Wrote the table into {readme.README}")
        return 0
    short = args.guard or args.record_baseline
    scale = GUARD if short else QUICK if args.quick else FULL
    cases = suite.select_cases(args.only)
    if short:
        cases = [c for c in cases if c.name not in suite.GUARD_SKIPS]
    started = time.perf_counter()
    anchors = not (args.no_anchors or short)
    recorded: list[suite.Results] = []
    for _ in range(guard.RECORD_RUNS if args.record_baseline else 1):
        results = suite.Results(scale)
        ws = Workspace(scale)
        print(f"Trailmark benchmarks ({scale.name}); scratch in {ws.root}", flush=True)
        try:
            suite.run_all(results, cases, ws, anchors=anchors, verbose=True)
        finally:
            ws.close()
        recorded.append(results)
    import trailmark

    versions = {"trailmark": trailmark.__version__}
    versions.update({a.name: a.version for a in ANCHORS})
    meta = {"versions": versions, "machine": table.machine()}
    print()
    print(table.render(results, meta, markdown=args.markdown))
    print(f"\n{time.perf_counter() - started:.0f} s in all.")
    default = "latest.json" if scale is FULL and not args.only else "partial.tmp.json"
    out = args.out or RESULTS / default
    saved = table.to_json(results, meta)
    table.write_json(out, saved)
    print(f"Wrote {out}")
    if default == "latest.json" and not args.out and readme.update(saved):
        print(f"Wrote the table into {readme.README}")
    if args.record_baseline:
        baseline = guard.baseline_of([(r.trailmark, r.calibration()) for r in recorded])
        table.write_json(guard.BASELINE, baseline)
        print(f"Wrote {guard.BASELINE}")
    return 1 if results.errors and short else 0


if __name__ == "__main__":
    sys.exit(main())
