"""Settings, declared as data with help text and read from the environment once, at the edge.

``docs/settings.md`` is generated from :data:`CLIENT_SETTINGS` and checked by a test.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from trailmark.errors import InvalidInput


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str


CLIENT_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "dir",
        "TRAILMARK_DIR",
        "~/.trailmark",
        "Local data dir: the SQLite store, the folder of files and the spools.",
    ),
    Setting(
        "url",
        "TRAILMARK_URL",
        "",
        "Server to send runs to, e.g. http://tracker:5100. Unset: runs go to the local data dir.",
    ),
    Setting(
        "mode",
        "TRAILMARK_MODE",
        "",
        "online, offline (spool only, ship later with `trailmark sync`) or disabled (no-op).",
    ),
    Setting("project", "TRAILMARK_PROJECT", "", "Project used when init() is called without one."),
    Setting(
        "run_id",
        "TRAILMARK_RUN_ID",
        "",
        "Run id used when init() is called without one (e.g. set by a launcher for every rank).",
    ),
    Setting(
        "finish_timeout",
        "TRAILMARK_FINISH_TIMEOUT",
        "60",
        "Seconds finish() waits for the spool to be shipped before returning.",
    ),
)

MODES = ("online", "offline", "disabled")


@dataclass(frozen=True)
class ClientSettings:
    """What the SDK needs to know from its environment."""

    data_dir: Path
    url: str | None = None
    mode: str | None = None
    project: str | None = None
    run_id: str | None = None
    finish_timeout: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientSettings:
        env = os.environ if environ is None else environ
        mode = env.get("TRAILMARK_MODE") or None
        if mode is not None and mode not in MODES:
            raise InvalidInput(f"TRAILMARK_MODE must be one of {', '.join(MODES)}, got {mode!r}")
        timeout_text = env.get("TRAILMARK_FINISH_TIMEOUT") or "60"
        try:
            timeout = float(timeout_text)
        except ValueError:
            raise InvalidInput(
                f"TRAILMARK_FINISH_TIMEOUT must be a number of seconds, got {timeout_text!r}"
            ) from None
        return cls(
            data_dir=Path(env.get("TRAILMARK_DIR") or "~/.trailmark").expanduser(),
            url=(env.get("TRAILMARK_URL") or None),
            mode=mode,
            project=env.get("TRAILMARK_PROJECT") or None,
            run_id=env.get("TRAILMARK_RUN_ID") or None,
            finish_timeout=timeout,
        )
