"""Create the anchors' pinned virtual envs and run their cases as subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.core import Figure

HERE = Path(__file__).resolve().parent
VENVS = HERE.parent / ".venvs"
MARKER = "BENCH-JSON: "


@dataclass(frozen=True)
class Anchor:
    name: str
    requirement: str
    script: Path
    cases: dict[str, tuple[str, ...]]
    """Case name -> the rows its figures belong to."""

    @property
    def venv(self) -> Path:
        return VENVS / self.name

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def version(self) -> str:
        return self.requirement.split("==", 1)[1]


# Pinned: the newest releases installable from PyPI when the suite was written. (mlflow 3.18.0
# is listed, but its mlflow-skinny==3.18.0 dependency was not published yet, so 3.17.2.)
MLFLOW = Anchor(
    "mlflow",
    "mlflow==3.17.2",
    HERE / "mlflow_cases.py",
    {
        "import": ("import",),
        "init": ("init",),
        "log": ("log_1", "log_10"),
        "local": ("local_10x10k", "history_10k", "bytes_per_point"),
        "server": ("server_start", "server_10x10k", "server_rss_idle", "server_rss_loaded"),
    },
)
TRACKIO = Anchor(
    "trackio",
    "trackio==0.43.0",
    HERE / "trackio_cases.py",
    {
        "import": ("import",),
        "init": ("init",),
        "log": ("log_1", "log_10"),
        "local": ("local_10x10k", "history_10k", "bytes_per_point"),
    },
)
ANCHORS: tuple[Anchor, ...] = (MLFLOW, TRACKIO)


def anchor_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRAILMARK_", "MLFLOW_"))}
    env.update(
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        HF_HUB_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        GRADIO_ANALYTICS_ENABLED="False",
        TRACKIO_DIR=str(workdir / "trackio"),
        PYTHONWARNINGS="ignore",
    )
    return env


def ensure_venv(anchor: Anchor) -> str | None:
    """Create ``benchmarks/.venvs/<anchor>`` with the pinned version; an error message or None."""
    stamp = anchor.venv / ".bench-pin"
    if (
        anchor.python.exists()
        and stamp.exists()
        and stamp.read_text().strip() == anchor.requirement
    ):
        return None
    print(f"  installing {anchor.requirement} into {anchor.venv} ...", flush=True)
    try:
        if not anchor.python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(anchor.venv)], check=True)
        subprocess.run(
            [str(anchor.python), "-m", "pip", "install", "-q", anchor.requirement],
            check=True,
            capture_output=True,
            text=True,
            timeout=1200,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        return f"could not install {anchor.requirement}: {exc} {detail[-500:]}"
    stamp.write_text(anchor.requirement + "\n")
    return None


@dataclass
class CaseResult:
    figures: dict[str, list[Figure]]
    error: str | None
    seconds: float


def run_case(
    anchor: Anchor, case: str, reps: int, quick: bool, workdir: Path, timeout: float = 900
) -> CaseResult:
    """Run one anchor case in its env; figures by row (each labelled with its idiom)."""
    started = time.perf_counter()
    args = [str(anchor.python), str(anchor.script), case, "--reps", str(reps)]
    args += ["--workdir", str(workdir / f"{anchor.name}-{case}")]
    if quick:
        args.append("--quick")
    try:
        out = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, env=anchor_env(workdir)
        )
    except subprocess.TimeoutExpired:
        return CaseResult({}, f"timed out after {timeout:.0f} s", time.perf_counter() - started)
    seconds = time.perf_counter() - started
    lines = [line for line in out.stdout.splitlines() if line.startswith(MARKER)]
    if out.returncode != 0 or not lines:
        tail = (out.stderr or out.stdout)[-800:]
        return CaseResult({}, f"exit {out.returncode}: {tail}", seconds)
    figures: dict[str, list[Figure]] = {}
    for item in json.loads(lines[-1][len(MARKER) :])["figures"]:
        figures.setdefault(item["row"], []).append(Figure.from_json(item))
    return CaseResult(figures, None, seconds)
