"""``trailmark.init``: choose where a run goes once, here, then hand the Run its spool and sender."""

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
from pathlib import Path
from types import TracebackType
from typing import Any

from trailmark import records as rec
from trailmark.errors import InvalidInput, NotFound
from trailmark.ids import new_run_id, new_writer_id
from trailmark.sdk import spool
from trailmark.sdk.names import new_run_name
from trailmark.sdk.run import DisabledRun, Run, active_runs, encode, remember
from trailmark.sdk.sender import Sender
from trailmark.sdk.transports import HttpTransport, Transport, WorkerTransport
from trailmark.settings import MODES, ClientSettings
from trailmark.validation import (
    check_json_object,
    check_name,
    check_notes,
    check_project_name,
    check_run_id,
    check_tags,
)

current_run: contextvars.ContextVar[Run | None] = contextvars.ContextVar(
    "trailmark_run", default=None
)
_last_run: Run | None = None
_hooks_installed = False
_hooks_lock = threading.Lock()

RESUME_CHOICES = (None, "allow", "must", "never")


def init(
    project: str | None = None,
    name: str | None = None,
    config: Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    notes: str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    id: str | None = None,
    resume: str | None = None,
    mode: str | None = None,
    dir: str | os.PathLike[str] | None = None,
    url: str | None = None,
    settings: ClientSettings | None = None,
) -> Run:
    """Start a run and make it the current one.

    With no server configured the run goes to the local data dir (``~/.trailmark``, or
    ``TRAILMARK_DIR``, or ``dir=``); ``TRAILMARK_URL`` or ``url=`` sends it to a server.
    ``mode`` is ``online`` (the default), ``offline`` (spool only; ship later with
    ``trailmark sync``) or ``disabled`` (every call is a no-op).
    ``resume="allow"`` continues run ``id`` if it exists; ``"must"`` requires that it does.

    Example::

        import trailmark as tm
        run = tm.init(project="mnist", config={"lr": 3e-4}, tags=["baseline"])
        run.log({"train/loss": 0.5})
        run.finish()
    """
    started = time.time()
    cfg = settings or ClientSettings.from_env()
    data_dir = Path(dir).expanduser() if dir is not None else cfg.data_dir
    server_url = url or cfg.url
    chosen_mode = mode or cfg.mode or "online"
    if chosen_mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}, got {chosen_mode!r}")
    if resume not in RESUME_CHOICES:
        raise InvalidInput(f"resume must be 'allow', 'must' or 'never', got {resume!r}")
    project = check_project_name(project or cfg.project or "uncategorized")
    run_id = check_run_id(id or cfg.run_id or new_run_id())
    run_config = dict(config or {})
    check_json_object("config", run_config)
    tag_list = check_tags(list(tags or []))
    for label, value in (("run name", name), ("group", group), ("job_type", job_type)):
        if value is not None:
            check_name(label, value)
    if notes is not None:
        check_notes(notes)

    if chosen_mode == "disabled":
        run: Run = DisabledRun(
            run_id=run_id,
            project=project,
            name=name,
            config=run_config,
            writer=spool.NullWriter(),
            sender=None,
            mode=chosen_mode,
            finish_timeout=0.0,
        )
        _make_current(run)
        return run

    start_step = 0
    if resume is not None:
        start_step = _resume_step(resume, project, run_id, data_dir, server_url, chosen_mode)

    writer_id = new_writer_id()
    rank = _int_env("RANK")
    header = {
        "t": rec.HEADER,
        "v": 1,
        "run": run_id,
        "project": project,
        "writer": writer_id,
        "rank": rank,
        "host": socket.gethostname(),
        "url": server_url,
        "dir": str(data_dir),
        "pid": os.getpid(),
        "created": started,
    }
    path = data_dir / "spool" / f"{run_id}-{writer_id}{spool.SPOOL_SUFFIX}"
    writer = spool.SpoolWriter(path, header)
    run_name = name if (name or resume) else new_run_name()
    writer.write(
        encode(
            {
                "t": rec.RUN,
                "q": 1,
                "name": run_name,
                "config": run_config,
                "tags": tag_list,
                "notes": notes,
                "group": group,
                "job_type": job_type,
                "host": socket.gethostname(),
                "created": started,
                "resume": bool(resume),
                "metadata": _basic_metadata(),
            }
        )
    )
    sender = None
    if chosen_mode == "online":
        transport: Transport = (
            HttpTransport(server_url) if server_url else WorkerTransport(data_dir)
        )
        sender = Sender(path, header, transport)
        sender.start()
    run = Run(
        run_id=run_id,
        project=project,
        name=run_name,
        config=run_config,
        writer=writer,
        sender=sender,
        mode=chosen_mode,
        finish_timeout=cfg.finish_timeout,
        start_step=start_step,
        seq_start=2,
    )
    remember(run)
    _make_current(run)
    _install_hooks()
    return run


def _resume_step(
    resume: str, project: str, run_id: str, data_dir: Path, url: str | None, mode: str
) -> int:
    """The step to continue from; checks ``must``/``never`` against the destination."""
    if mode == "offline":
        if resume == "must":
            raise InvalidInput(
                "resume='must' needs the run's destination; it cannot be checked offline"
            )
        return 0
    from trailmark.sdk.api import Api

    api = Api(url) if url else Api(dir=data_dir)
    try:
        existing = api.run(f"{project}/{run_id}")
    except NotFound:
        if resume == "must":
            raise NotFound(
                f"run {run_id!r} does not exist in project {project!r}; cannot resume it"
            ) from None
        return 0
    finally:
        api.close()
    if resume == "never":
        raise InvalidInput(
            f"run {run_id!r} already exists in project {project!r} and resume='never'"
        )
    last = existing.data.get("last_step")
    return int(last) + 1 if last is not None else 0


def _basic_metadata() -> dict[str, Any]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "user": user,
        "pid": os.getpid(),
        "command": [sys.executable, *sys.argv],
        "cwd": os.getcwd(),
    }


def _int_env(name: str) -> int | None:
    value = os.environ.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


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
        if _uncaught is not None:
            run.finish_with_exception(*_uncaught)
        else:
            run.finish()
