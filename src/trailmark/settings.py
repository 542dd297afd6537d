"""Settings, declared as data with help text and read from the environment once, at the edge.

A :class:`Setting` is declared once: its name, environment variable, default, type and help.
The settings dataclasses take their defaults from it, the command line's options are
generated from it (:mod:`trailmark.cli.options`), and ``docs/settings.md`` is generated
from it and checked by a test, as is the rule that every variable the code reads is one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trailmark.errors import InvalidInput

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Setting:
    name: str
    """The command-line option (``--data-dir`` for ``data_dir``) and the name in the docs."""
    env: str
    default: str
    """As it would be written in the environment variable ("": unset)."""
    help: str
    kind: type[Any] = str
    """Its type: ``str``, ``int``, ``float`` or ``bool`` (a flag on the command line)."""
    multiple: bool = False
    """The option may be repeated (and the variable hold several values)."""
    field: str = ""
    """The settings dataclass's attribute, where it differs from ``name``."""

    @property
    def attribute(self) -> str:
        return self.field or self.name

    def parse(self, text: str) -> Any:
        """The value of ``text`` (as set in the environment) for this setting's type."""
        if self.kind is bool:
            folded = text.strip().lower()
            if folded in _TRUE or folded in _FALSE:
                return folded in _TRUE
            raise InvalidInput(f"{self.env} must be true or false, got {text!r}")
        if self.kind in (int, float):
            try:
                return self.kind(text)
            except ValueError:
                raise InvalidInput(f"{self.env} must be a number, got {text!r}") from None
        return text or None

    @property
    def value(self) -> Any:
        """The default as the dataclasses hold it (``None`` for an unset text)."""
        if self.multiple:
            return ()
        return self.parse(self.default)


def default(settings: tuple[Setting, ...], name: str) -> Any:
    """The default of the setting called ``name``: what the dataclass fields are set to."""
    return declared(settings, name).value


def declared(settings: tuple[Setting, ...], name: str) -> Setting:
    for setting in settings:
        if setting.name == name:
            return setting
    raise KeyError(name)


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
        float,
    ),
    Setting(
        "system_interval",
        "TRAILMARK_SYSTEM_INTERVAL",
        "10",
        "Seconds between samples of system metrics (CPU, memory, disk, network, GPUs), "
        "from 1; 0 turns them off. init(system_interval=...) wins.",
        float,
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
        bool,
    ),
    Setting(
        "capture_env",
        "TRAILMARK_CAPTURE_ENV",
        "true",
        "Record Python, platform, host, GPUs, installed packages and selected environment "
        "variables, secrets redacted (true/false).",
        bool,
    ),
    Setting(
        "ingest_service",
        "TRAILMARK_INGEST_SERVICE",
        "true",
        "Local runs hand their records to one shared ingest process per user, started by "
        "the first run and left running 2 minutes after the last, so that later runs find "
        "it warm (true); false: each run starts its own (slower finish() for short runs).",
        bool,
    ),
    Setting(
        "runtime_dir",
        "TRAILMARK_RUNTIME_DIR",
        "$XDG_RUNTIME_DIR/trailmark or $TMPDIR/trailmark-<uid>",
        "Private (0700) dir for the ingest service's socket.",
    ),
    Setting(
        "api_key",
        "TRAILMARK_API_KEY",
        "",
        "API key sent to the server (`Authorization: Bearer ...`) by runs, `Api` and "
        "`trailmark sync`; wins over the key `trailmark login` stored. Never logged.",
    ),
    Setting(
        "config_dir",
        "TRAILMARK_CONFIG_DIR",
        "~/.config/trailmark",
        "Where `trailmark login` keeps API keys (credentials.json, 0600 in a 0700 folder), "
        "one per server URL.",
    ),
)

SYNC_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "url",
        "TRAILMARK_SYNC_URL",
        "",
        "Server `trailmark sync` ships spools to, e.g. http://tracker:5100. Unset: where "
        "each run was headed when it was logged.",
    ),
)
"""What ``trailmark sync`` reads (its ``--url``)."""


@dataclass(frozen=True)
class OtherVariable:
    """Variables Trailmark reads but does not own: set by launchers and the system."""

    names: tuple[str, ...]
    help: str


OTHER_VARIABLES: tuple[OtherVariable, ...] = (
    OtherVariable(
        ("RANK", "LOCAL_RANK", "WORLD_SIZE"),
        "The process's rank in a distributed job (torchrun, accelerate, DeepSpeed); "
        "init(rank=...) wins.",
    ),
    OtherVariable(
        (
            "OMPI_COMM_WORLD_RANK",
            "OMPI_COMM_WORLD_LOCAL_RANK",
            "OMPI_COMM_WORLD_SIZE",
            "PMI_RANK",
            "PMI_SIZE",
            "MPI_LOCALRANKID",
        ),
        "The rank under Open MPI and PMI launchers, when RANK is unset.",
    ),
    OtherVariable(
        (
            "SLURM_PROCID",
            "SLURM_LOCALID",
            "SLURM_NTASKS",
            "SLURM_NPROCS",
            "SLURM_ARRAY_TASK_ID",
            "SLURM_ARRAY_TASK_MIN",
            "SLURM_ARRAY_TASK_COUNT",
        ),
        "The rank of an `srun` task, or of a job array's task, when no launcher set one.",
    ),
    OtherVariable(
        ("XDG_RUNTIME_DIR",),
        "Where the ingest service's socket goes when TRAILMARK_RUNTIME_DIR is unset.",
    ),
    OtherVariable(
        ("OPENBLAS_NUM_THREADS",),
        "Passed on to the local ingest service, which runs with 1 thread unless it is set.",
    ),
)
"""Documented beside the settings; a test finds every variable the code reads in one or
the other."""

MODES = ("online", "offline", "disabled")
CONSOLE_MODES = ("auto", "redirect", "wrap", "off")


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


def _client_default(name: str) -> Any:
    return default(CLIENT_SETTINGS, name)


def _env_bool(env: Mapping[str, str], name: str) -> bool:
    setting = declared(CLIENT_SETTINGS, name)
    text = env.get(setting.env) or ""
    return bool(setting.parse(text)) if text.strip() else bool(setting.value)


@dataclass(frozen=True)
class ClientSettings:
    """What the SDK needs to know from its environment."""

    data_dir: Path
    url: str | None = _client_default("url")
    mode: str | None = _client_default("mode")
    project: str | None = _client_default("project")
    run_id: str | None = _client_default("run_id")
    finish_timeout: float = _client_default("finish_timeout")
    system_interval: float = _client_default("system_interval")
    console: str = _client_default("console")
    capture_code: bool = _client_default("capture_code")
    capture_env: bool = _client_default("capture_env")
    ingest_service: bool = _client_default("ingest_service")
    runtime_dir: Path | None = None
    """``None``: found by :func:`runtime_dir` (its declared default is a description)."""
    api_key: str | None = _client_default("api_key")
    """``None``: the key ``trailmark login`` stored for the server, if any
    (:mod:`trailmark.credentials`)."""
    config_dir: str = _client_default("config_dir")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientSettings:
        env = os.environ if environ is None else environ
        mode = env.get("TRAILMARK_MODE") or None
        if mode is not None and mode not in MODES:
            raise InvalidInput(f"TRAILMARK_MODE must be one of {', '.join(MODES)}, got {mode!r}")
        timeout_text = env.get("TRAILMARK_FINISH_TIMEOUT") or str(_client_default("finish_timeout"))
        try:
            timeout = float(timeout_text)
        except ValueError:
            raise InvalidInput(
                f"TRAILMARK_FINISH_TIMEOUT must be a number of seconds, got {timeout_text!r}"
            ) from None
        interval_text = env.get("TRAILMARK_SYSTEM_INTERVAL") or str(
            _client_default("system_interval")
        )
        try:
            interval = float(interval_text)
        except ValueError:
            raise InvalidInput(
                f"TRAILMARK_SYSTEM_INTERVAL must be a number of seconds, got {interval_text!r}"
            ) from None
        return cls(
            data_dir=Path(env.get("TRAILMARK_DIR") or _client_default("dir")).expanduser(),
            url=(env.get("TRAILMARK_URL") or None),
            mode=mode,
            project=env.get("TRAILMARK_PROJECT") or None,
            run_id=env.get("TRAILMARK_RUN_ID") or None,
            finish_timeout=timeout,
            system_interval=check_system_interval(interval, "TRAILMARK_SYSTEM_INTERVAL"),
            console=check_console(
                env.get("TRAILMARK_CONSOLE") or _client_default("console"), "TRAILMARK_CONSOLE"
            ),
            capture_code=_env_bool(env, "capture_code"),
            capture_env=_env_bool(env, "capture_env"),
            ingest_service=_env_bool(env, "ingest_service"),
            runtime_dir=runtime_dir(env),
            api_key=(env.get("TRAILMARK_API_KEY") or "").strip() or None,
            config_dir=env.get("TRAILMARK_CONFIG_DIR") or _client_default("config_dir"),
        )
