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
    Setting(
        "system_interval",
        "TRAILMARK_SYSTEM_INTERVAL",
        "10",
        "Seconds between samples of system metrics (CPU, memory, disk, network, GPUs), "
        "from 1; 0 turns them off. init(system_interval=...) wins.",
    ),
    Setting(
        "console",
        "TRAILMARK_CONSOLE",
        "auto",
        "Console capture: auto (redirect on Linux, else wrap), redirect (file descriptors 1 "
        "and 2, so C extensions too), wrap (sys.stdout/sys.stderr only) or off.",
    ),
    Setting(
        "capture_code",
        "TRAILMARK_CAPTURE_CODE",
        "true",
        "Record the git commit, branch, remote, uncommitted diff and the command line (true/false).",
    ),
    Setting(
        "capture_env",
        "TRAILMARK_CAPTURE_ENV",
        "true",
        "Record Python, platform, host, GPUs, installed packages and selected environment "
        "variables, secrets redacted (true/false).",
    ),
    Setting(
        "ingest_service",
        "TRAILMARK_INGEST_SERVICE",
        "true",
        "Local runs hand their records to one shared ingest process per user, started by "
        "the first run and left running 2 minutes after the last, so that later runs find "
        "it warm (true); false: each run starts its own (slower finish() for short runs).",
    ),
    Setting(
        "runtime_dir",
        "TRAILMARK_RUNTIME_DIR",
        "$XDG_RUNTIME_DIR/trailmark or $TMPDIR/trailmark-<uid>",
        "Private (0700) dir for the ingest service's socket.",
    ),
)

MODES = ("online", "offline", "disabled")
CONSOLE_MODES = ("auto", "redirect", "wrap", "off")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def check_system_interval(value: object, source: str = "system_interval") -> float:
    """Seconds between system samples: 0 (off) or at least 1."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{source} must be a number of seconds, got {value!r}")
    if value != 0 and not 1 <= value < float("inf"):
        raise InvalidInput(f"{source} must be 0 (off) or at least 1 second, got {value!r}")
    return float(value)


def check_console(value: object, source: str = "console") -> str:
    if value not in CONSOLE_MODES:
        raise InvalidInput(f"{source} must be one of {', '.join(CONSOLE_MODES)}, got {value!r}")
    return str(value)


def runtime_dir(env: Mapping[str, str]) -> Path:
    """Where the ingest service's socket lives: ``$TRAILMARK_RUNTIME_DIR``, else
    ``$XDG_RUNTIME_DIR/trailmark``, else ``$TMPDIR/trailmark-<uid>`` (made private, 0700)."""
    if env.get("TRAILMARK_RUNTIME_DIR"):
        return Path(env["TRAILMARK_RUNTIME_DIR"]).expanduser()
    if env.get("XDG_RUNTIME_DIR"):
        return Path(env["XDG_RUNTIME_DIR"]) / "trailmark"
    import tempfile  # not at import time: it costs 2.5 ms of `import trailmark`

    return Path(tempfile.gettempdir()) / f"trailmark-{os.getuid()}"


def _env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = (env.get(name) or "").strip().lower()
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInput(f"{name} must be true or false, got {env[name]!r}")


@dataclass(frozen=True)
class ClientSettings:
    """What the SDK needs to know from its environment."""

    data_dir: Path
    url: str | None = None
    mode: str | None = None
    project: str | None = None
    run_id: str | None = None
    finish_timeout: float = 60.0
    system_interval: float = 10.0
    console: str = "auto"
    capture_code: bool = True
    capture_env: bool = True
    ingest_service: bool = True
    runtime_dir: Path | None = None

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
        interval_text = env.get("TRAILMARK_SYSTEM_INTERVAL") or "10"
        try:
            interval = float(interval_text)
        except ValueError:
            raise InvalidInput(
                f"TRAILMARK_SYSTEM_INTERVAL must be a number of seconds, got {interval_text!r}"
            ) from None
        return cls(
            data_dir=Path(env.get("TRAILMARK_DIR") or "~/.trailmark").expanduser(),
            url=(env.get("TRAILMARK_URL") or None),
            mode=mode,
            project=env.get("TRAILMARK_PROJECT") or None,
            run_id=env.get("TRAILMARK_RUN_ID") or None,
            finish_timeout=timeout,
            system_interval=check_system_interval(interval, "TRAILMARK_SYSTEM_INTERVAL"),
            console=check_console(env.get("TRAILMARK_CONSOLE") or "auto", "TRAILMARK_CONSOLE"),
            capture_code=_env_bool(env, "TRAILMARK_CAPTURE_CODE", True),
            capture_env=_env_bool(env, "TRAILMARK_CAPTURE_ENV", True),
            ingest_service=_env_bool(env, "TRAILMARK_INGEST_SERVICE", True),
            runtime_dir=runtime_dir(env),
        )
