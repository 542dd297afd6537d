"""``trailmark.init``: choose where a run goes once, here, then build the Run in one call.

Three steps: :func:`_resolve` turns the arguments and settings into a checked
:class:`_Plan`; :func:`_transport` chooses where records go; :func:`_start` writes the
run's first record and builds the :class:`~trailmark.Run` (or a
:class:`~trailmark.sdk.null_run.NullRun` when the mode is ``disabled``).
"""

from __future__ import annotations

import atexit
import contextvars
import getpass
import os
import platform
import socket
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args

from trailmark import records as rec
from trailmark.errors import InvalidInput, NotFound
from trailmark.ids import new_run_id, new_writer_id
from trailmark.names import new_run_name
from trailmark.redact import redact, redact_argv
from trailmark.sdk import spool
from trailmark.sdk.capture import CaptureOptions, start_captures
from trailmark.sdk.distributed import RankInfo, detect_rank
from trailmark.sdk.fork import ForkPoint, parse_fork_from
from trailmark.sdk.run import Mode, Run, active_runs, encode, remember
from trailmark.sdk.sender import Sender
from trailmark.sdk.transports import HttpTransport, Transport
from trailmark.settings import (
    ClientSettings,
    check_console,
    check_system_interval,
    runtime_dir,
)
from trailmark.validation import (
    check_json_object,
    check_name,
    check_notes,
    check_project_name,
    check_run_id,
    check_tags,
)

if TYPE_CHECKING:
    from trailmark.sdk.capture import Captures
    from trailmark.sdk.config import Emit
    from trailmark.sdk.uploader import RunContent

current_run: contextvars.ContextVar[Run | None] = contextvars.ContextVar(
    "trailmark_run", default=None
)
_last_run: Run | None = None
_hooks_installed = False
_hooks_lock = threading.Lock()

Resume = Literal["allow", "must", "never"]
Choice = TypeVar("Choice", bound=str)
MODES: tuple[Mode, ...] = get_args(Mode)
RESUME_CHOICES: tuple[Resume, ...] = get_args(Resume)


def init(
    project: str | None = None,
    name: str | None = None,
    config: Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    notes: str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    id: str | None = None,
    resume: Resume | None = None,
    mode: Mode | None = None,
    dir: str | os.PathLike[str] | None = None,
    url: str | None = None,
    settings: ClientSettings | None = None,
    *,
    system_interval: float | None = None,
    console: str | None = None,
    capture_code: bool | None = None,
    capture_env: bool | None = None,
    rank: int | None = None,
    fork_from: str | None = None,
) -> Run:
    """Start a run and make it the current one.

    With no server configured the run goes to the local data dir (``~/.trailmark``, or
    ``TRAILMARK_DIR``, or ``dir=``); ``TRAILMARK_URL`` or ``url=`` sends it to a server.
    ``mode`` is ``online`` (the default), ``offline`` (spool only; ship later with
    ``trailmark sync``) or ``disabled`` (every call is a no-op: see
    :class:`~trailmark.sdk.null_run.NullRun`).
    ``resume="allow"`` continues run ``id`` if it exists; ``"must"`` requires that it does.

    Captured without more code, each switchable off here or by a setting: system metrics
    every ``system_interval`` seconds (0: off), console output (``console``: ``"auto"``,
    ``"redirect"``, ``"wrap"`` or ``"off"``), the code (git state, command line;
    ``capture_code``) and the environment (packages, host, GPUs; ``capture_env``).

    Distributed jobs: call ``init(id=..., resume="allow")`` in every process; the rank comes
    from ``RANK`` (torchrun), MPI or SLURM variables, or ``rank=``. Rank 0's metrics are the
    run's series, the others' are kept per rank (``history(keys, rank=3)``). Or give each
    process a run of its own with ``group="job-123"``: each writes its run whole.
    ``fork_from="RUN_ID?step=500"`` starts a new run that shares that run's history up to
    step 500 and continues from step 501.

    Example::

        import trailmark as tm
        run = tm.init(project="mnist", config={"lr": 3e-4}, tags=["baseline"])
        run.log({"train/loss": 0.5})
        run.finish()
    """
    started = time.time()
    plan = _resolve(
        settings or ClientSettings.from_env(),
        project=project,
        name=name,
        config=config,
        tags=tags,
        notes=notes,
        group=group,
        job_type=job_type,
        run_id=id,
        resume=resume,
        mode=mode,
        data_dir=dir,
        url=url,
        system_interval=system_interval,
        console=console,
        capture_code=capture_code,
        capture_env=capture_env,
        rank=rank,
        fork_from=fork_from,
    )
    if plan.mode == "disabled":
        from trailmark.sdk.null_run import NullRun

        run: Run = NullRun(
            run_id=plan.run_id, project=plan.project, name=plan.name, config=plan.config
        )
    else:
        run = _start(plan, started)
        remember(run)
        _install_hooks()
    _make_current(run)
    return run


@dataclass(frozen=True)
class _Plan:
    """Everything ``init`` decided before it starts anything, checked."""

    mode: Mode
    project: str
    run_id: str
    name: str | None
    config: dict[str, Any]
    tags: list[str]
    notes: str | None
    group: str | None
    job_type: str | None
    resume: Resume | None
    fork: ForkPoint | None
    data_dir: Path
    url: str | None
    captures: CaptureOptions
    ranks: RankInfo
    """The rank this process has in its job (recorded in the run's metadata)."""
    role: RankInfo
    """The rank it writes as: its own in a run the job shares, none in a run of its own."""
    settings: ClientSettings
    """The rest of the settings (finish timeout, the ingest service), read where used."""


def _resolve(
    cfg: ClientSettings,
    *,
    project: str | None,
    name: str | None,
    config: Mapping[str, Any] | None,
    tags: Sequence[str] | None,
    notes: str | None,
    group: str | None,
    job_type: str | None,
    run_id: str | None,
    resume: str | None,
    mode: str | None,
    data_dir: str | os.PathLike[str] | None,
    url: str | None,
    system_interval: float | None,
    console: str | None,
    capture_code: bool | None,
    capture_env: bool | None,
    rank: int | None,
    fork_from: str | None,
) -> _Plan:
    """The arguments over the settings, checked: a bad value fails here, before any file."""
    chosen_mode = _check_choice("mode", mode or cfg.mode or "online", MODES)
    chosen_resume: Resume | None = None
    if resume is not None:
        chosen_resume = _check_choice("resume", resume, RESUME_CHOICES)
    checked_project = check_project_name(project or cfg.project or "uncategorized")
    checked_id = check_run_id(run_id or cfg.run_id or new_run_id())
    run_config = dict(config or {})
    check_json_object("config", run_config)
    tag_list = check_tags(list(tags or []))
    for label, value in (("run name", name), ("group", group), ("job_type", job_type)):
        if value is not None:
            check_name(label, value)
    if notes is not None:
        check_notes(notes)
    fork = parse_fork_from(fork_from) if fork_from is not None else None
    if fork is not None and chosen_resume is not None:
        raise InvalidInput(
            "fork_from starts a new run from another one's history; it cannot be combined "
            "with resume (resume continues the same run)"
        )
    ranks = detect_rank(os.environ, rank)
    # A process writes as its rank only into a run the job's processes share (joined with
    # resume, or named by TRAILMARK_RUN_ID): a run of its own (one run per rank, grouped)
    # it writes whole, whatever its rank.
    shared = (
        chosen_resume is not None or rank is not None or (run_id is None and cfg.run_id is not None)
    )
    return _Plan(
        mode=chosen_mode,
        project=checked_project,
        run_id=checked_id,
        name=name,
        config=run_config,
        tags=tag_list,
        notes=notes,
        group=group,
        job_type=job_type,
        resume=chosen_resume,
        fork=fork,
        data_dir=Path(data_dir).expanduser() if data_dir is not None else cfg.data_dir,
        url=url or cfg.url,
        captures=CaptureOptions(
            system_interval=cfg.system_interval
            if system_interval is None
            else check_system_interval(system_interval),
            console=cfg.console if console is None else check_console(console),
            code=cfg.capture_code if capture_code is None else bool(capture_code),
            environment=cfg.capture_env if capture_env is None else bool(capture_env),
        ),
        ranks=ranks,
        role=ranks if shared else RankInfo(),
        settings=cfg,
    )


def _check_choice(what: str, value: str, choices: tuple[Choice, ...]) -> Choice:
    """``value`` as one of ``choices`` (the values of a Literal), or a clear error."""
    for choice in choices:
        if value == choice:
            return choice
    listed = ", ".join(repr(c) for c in choices)
    raise InvalidInput(f"{what} must be one of {listed}, got {value!r}")


def _transport(plan: _Plan) -> Transport:
    """Where an online run's records go: a server, or the store in the data dir."""
    if plan.url:
        return HttpTransport(plan.url, api_key=plan.settings.api_key)
    # Imported here, as HttpTransport imports its client: `import trailmark` loads neither.
    from trailmark.sdk.local_ingest.transport import WorkerTransport

    return WorkerTransport(plan.data_dir, service_dir=_service_dir(plan.settings))


def _start(plan: _Plan, started: float) -> Run:
    """Write the run's first record to a new spool, start its sender, build the Run."""
    start_step, exists = 0, False
    if plan.resume is not None:
        start_step, exists = _resume_step(
            plan.resume,
            plan.project,
            plan.run_id,
            plan.data_dir,
            plan.url,
            plan.mode,
            plan.role.rank,
        )
    if plan.fork is not None:
        _check_fork_parent(plan.fork, plan.project, plan.data_dir, plan.url, plan.mode)
        start_step = plan.fork.step + 1

    writer_id = new_writer_id()
    header = {
        "t": rec.HEADER,
        "v": 1,
        "run": plan.run_id,
        "project": plan.project,
        "writer": writer_id,
        "rank": plan.role.rank,
        "host": socket.gethostname(),
        "url": plan.url,
        "dir": str(plan.data_dir),
        "pid": os.getpid(),
        "created": started,
    }
    path = plan.data_dir / "spool" / f"{plan.run_id}-{writer_id}{spool.SPOOL_SUFFIX}"
    writer = spool.SpoolWriter(path, header)
    # Only the run's creator names it: a resumed run keeps its name, and other ranks
    # would each pick a different one.
    run_name = plan.name if (plan.name or exists or not plan.role.primary) else new_run_name()
    writer.write(encode(_run_record(plan, run_name, started)))
    sender = None
    if plan.mode == "online":
        sender = Sender(path, header, _transport(plan))
        writer.make_room = sender.make_room  # a full disk: reclaim shipped records first
        sender.start()

    def captures(emit: Emit) -> Captures:
        return start_captures(emit, plan.captures, plan.role, plan.data_dir)

    def content() -> RunContent:
        # The uploader (hashing, HTTP, TLS) loads on the first file or artifact, not here.
        from trailmark.sdk.uploader import content_for

        return content_for(plan.project, plan.run_id, plan.data_dir, plan.url)

    return Run(
        run_id=plan.run_id,
        project=plan.project,
        name=run_name,
        config=plan.config,
        writer=writer,
        sender=sender,
        mode=plan.mode,
        finish_timeout=plan.settings.finish_timeout,
        start_step=start_step,
        seq_start=2,
        rank=plan.role.rank,
        captures=captures,
        content=content if plan.mode == "online" else None,
    )


def _run_record(plan: _Plan, run_name: str | None, started: float) -> dict[str, Any]:
    record: dict[str, Any] = {
        "t": rec.RUN,
        "q": 1,
        "name": run_name,
        "config": redact(plan.config),  # secrets never leave the process; run.config keeps them
        "tags": plan.tags,
        "notes": plan.notes,
        "group": plan.group,
        "job_type": plan.job_type,
        "host": socket.gethostname(),
        "created": started,
        "resume": bool(plan.resume),
        "metadata": _basic_metadata(plan.ranks),
    }
    if plan.fork is not None:
        record["fork_from"] = plan.fork.to_json()
    return record


def _resume_step(
    resume: Resume,
    project: str,
    run_id: str,
    data_dir: Path,
    url: str | None,
    mode: str,
    rank: int | None,
) -> tuple[int, bool]:
    """The step to continue from, and whether the run exists; checks ``must``/``never``.

    A rank other than 0 continues after its own series, not rank 0's: joining a run that
    rank 0 has already started logging to must not shift its steps.
    """
    if mode == "offline":
        if resume == "must":
            raise InvalidInput(
                "resume='must' needs the run's destination; it cannot be checked offline"
            )
        return 0, False
    from trailmark.sdk.api import Api

    api = Api(url) if url else Api(dir=data_dir)
    try:
        existing = api.run(f"{project}/{run_id}")
        if resume == "never":
            raise InvalidInput(
                f"run {run_id!r} already exists in project {project!r} and resume='never'"
            )
        if rec.is_primary(rank):
            last = existing.data.get("last_step")
        else:
            last = max(
                (
                    m["stats"].get("last_step", -1)
                    for m in api.backend.metric_keys(project, run_id)
                    if rec.split_rank_key(m["key"])[1] == rank and not rec.is_system_key(m["key"])
                ),
                default=None,
            )
    except NotFound:
        if resume == "must":
            raise NotFound(
                f"run {run_id!r} does not exist in project {project!r}; cannot resume it"
            ) from None
        return 0, False
    finally:
        api.close()
    return (int(last) + 1 if last is not None else 0), True


def _check_fork_parent(
    fork: ForkPoint, project: str, data_dir: Path, url: str | None, mode: str
) -> None:
    """Refuse a fork from a run that does not exist (when the destination can tell)."""
    if mode == "offline":
        return
    from trailmark.sdk.api import Api

    parent_project = fork.project or project
    with Api(url) if url else Api(dir=data_dir) as api:
        try:
            api.run(f"{parent_project}/{fork.run_id}")
        except NotFound:
            raise NotFound(
                f"cannot fork from run {fork.run_id!r}: it does not exist in project "
                f"{parent_project!r} (name another project as 'PROJECT/RUN_ID?step=N')"
            ) from None


def _service_dir(cfg: ClientSettings) -> Path | None:
    """The ingest service's runtime dir, or None when the service is switched off."""
    if not cfg.ingest_service:
        return None
    return cfg.runtime_dir or runtime_dir(os.environ)


def _basic_metadata(ranks: RankInfo) -> dict[str, Any]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = None
    found: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "user": user,
        "pid": os.getpid(),
        "command": [sys.executable, *redact_argv(sys.argv)],
        "cwd": os.getcwd(),
    }
    if ranks.rank is not None:
        found["distributed"] = ranks.to_json()
    return found


def _make_current(run: Run) -> None:
    global _last_run
    current_run.set(run)
    _last_run = run


def get_current_run() -> Run | None:
    """The run ``init`` made current in this context (or, from another thread, the last one)."""
    run = current_run.get()
    if run is None or run._finished:
        run = _last_run
    return run if run is not None and not run._finished else None


# Finishing runs the script forgot, and marking runs failed by an uncaught exception.

_uncaught: tuple[type[BaseException], BaseException, TracebackType | None] | None = None


def _install_hooks() -> None:
    global _hooks_installed
    with _hooks_lock:
        if _hooks_installed:
            return
        _hooks_installed = True
        previous = sys.excepthook

        def excepthook(
            exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
        ) -> None:
            global _uncaught
            _uncaught = (exc_type, exc, tb)
            previous(exc_type, exc, tb)

        sys.excepthook = excepthook
        atexit.register(_finish_at_exit)


def _finish_at_exit() -> None:
    for run in active_runs():
        if run._pid != os.getpid():  # a forked child exiting: the run belongs to the parent
            continue
        if _uncaught is not None:
            run.finish_with_exception(*_uncaught)
        else:
            run.finish()
