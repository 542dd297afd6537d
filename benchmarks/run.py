"""``make bench``: every benchmark row, its target and verdict, beside MLflow and Trackio.

.venv/bin/python benchmarks/run.py                 # the full suite (~5 min quiet, ~14 busy)
.venv/bin/python benchmarks/run.py --quick         # a short version
.venv/bin/python benchmarks/run.py --only log_1    # one row (or case); see --list
.venv/bin/python benchmarks/run.py --no-anchors    # Trailmark only
.venv/bin/python benchmarks/run.py --record-baseline   # refresh results/baseline.json
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    for name in [n for n in os.environ if n.startswith("TRAILMARK_")]:
        del os.environ[name]  # every case says where its runs go
    from benchmarks.main import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
