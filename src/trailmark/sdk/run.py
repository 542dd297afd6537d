"""A run: what ``trailmark.init`` returns. Every call writes records to the run's spool.

``log()`` is the hot path: it validates, encodes one JSON line and appends it with one
``os.write``; it never touches the network or the database (the sender thread does).
"""

from __future__ import annotations

import os
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import orjson

from trailmark import records as rec
from trailmark.errors import InvalidInput
from trailmark.limits import MAX_METRICS_PER_RECORD
from trailmark.records import json_safe
from trailmark.redact import redact
from trailmark.sdk.config import Config, Emit, Summary
from trailmark.sdk.sender import Sender, ShipReport
from trailmark.sdk.spool import SpoolWriter
from trailmark.sdk.values import coerce, is_skip, nonfinite_text, warn_once
from trailmark.validation import key_problem

if TYPE_CHECKING:
    from trailmark.sdk.artifacts import Artifact
    from trailmark.sdk.capture import Captures
    from trailmark.sdk.uploader import RunContent

Mode = Literal["online", "offline", "disabled"]
"""Where a run's records go: shipped as they come (``online``), kept in the spool for
``trailmark sync`` (``offline``), or nowhere (``disabled``: :class:`NullRun`)."""

_dumps = orjson.dumps
_NEWLINE = orjson.OPT_APPEND_NEWLINE
_now = time.time


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def encode(record: dict[str, Any]) -> bytes:
    """A non-metric record as one JSON line (config values of any type become JSON)."""
    safe = json_safe(record)
    option = _NEWLINE | orjson.OPT_NON_STR_KEYS
    try:
        return orjson.dumps(safe, default=_json_default, option=option)
    except TypeError:
        # An integer beyond 64 bits, or text that is not valid UTF-8: rare, so a second pass.
        return orjson.dumps(_json_compatible(safe), default=_json_default, option=option)


def _json_compatible(value: Any) -> Any:
    """``value`` with integers beyond 64 bits as floats (how the server reads them anyway)
    and strings repaired to valid UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        return float(value)
    if isinstance(value, dict):
        return {_json_compatible(str(k)): _json_compatible(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_compatible(v) for v in value]
    return value


def _valid_text(value: Any) -> Any:
    """``value`` with strings that are not valid UTF-8 (lone surrogates) repaired."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: _valid_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_valid_text(v) for v in value]
    return value


def encode_capture(record: dict[str, Any]) -> bytes:
    """A record built by a capture (plain JSON already): fast, and safe for any text."""
    try:
        return _dumps(record, option=_NEWLINE)
    except TypeError:
        return encode(_valid_text(record))


class Run:
    """One experiment run. Use :func:`trailmark.init` to start one.

    Example::

        run = trailmark.init(project="mnist", config={"lr": 3e-4})
        for step in range(100):
            run.log({"train/loss": 1 / (step + 1)})
        run.summary["best_acc"] = 0.97
        run.finish()
    """

    def __init__(
        self,
        *,
        run_id: str,
        project: str,
        name: str | None,
        config: Mapping[str, Any],
        writer: SpoolWriter,
        sender: Sender | None,
        mode: Mode,
        finish_timeout: float,
        start_step: int = 0,
        seq_start: int = 1,
        rank: int | None = None,
        captures: Callable[[Emit], Captures] | None = None,
        content: Callable[[], RunContent] | None = None,
    ) -> None:
        """Built by :func:`trailmark.init`, which chose where the records go.

        ``captures`` starts the run's captures, given what they write through; ``content``
        makes what files and artifacts go through, on the first one (an online run).
        """
        self.id = run_id
        self.rank = rank
        self.project = project
        self.name = name
        self.mode = mode
        self.spool_path: Path = writer.path
        self._writer = writer
        self._sender = sender
        self._finish_timeout = finish_timeout
        self._lock = threading.Lock()
        self._seq = seq_start
        self._step = start_step
        self._last: dict[str, Any] = {}
        self._good_keys: set[str] = set()
        self._warned: set[str] = set()
        self._finished = False
        self._warned_full_disk = False
        self._content: RunContent | None = None  # files and artifacts, made on first use
        self._make_content = content
        self._pid = os.getpid()
        self.config = Config(config, self._emit_config)
        self.summary = Summary(self._emit_summary, self._last)
        # Last: the captures' threads may write as soon as they start.
        self._captures: Captures | None = captures(self._emit) if captures else None

    # the hot path

    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool = True) -> None:
        """Record metric values at a step (the current step by default, counting up by itself).

        Nested dicts become ``a/b`` keys; ints, floats, bools, numpy and torch scalars are
        accepted; NaN and ±inf are kept. A value of another type is skipped with a warning
        (once per key), never an exception. With ``commit=False`` the step does not advance.
        """
        if self._finished:
            warn_once(self._warned, "\0finished", f"run {self.id} is finished; log() ignored")
            return
        values: dict[str, Any] = {}
        good = self._good_keys
        for key, value in data.items():
            kind = type(value)
            if key not in good and not self._key_ok(key):
                continue
            if kind is float:
                values[key] = value if value - value == 0 else nonfinite_text(value)
            elif kind is int:
                values[key] = float(value)
            elif kind is dict:
                self._flatten(key, value, values)
            else:
                coerced = coerce(value)
                if is_skip(coerced):
                    warn_once(
                        self._warned,
                        key,
                        f"metric {key!r} has a value of type {kind.__name__}, not a number; "
                        "it is skipped (log numbers, or use summary/config for other values)",
                    )
                else:
                    values[key] = coerced
        with self._lock:
            if step is None:
                step = self._step
            elif type(step) is not int:
                step = self._coerce_step(step)
                if step is None:
                    return
            seq = self._seq
            self._seq = seq + 1
            if commit:
                self._step = step + 1
            elif step > self._step:
                self._step = step
            if len(values) <= MAX_METRICS_PER_RECORD:
                ok = self._writer.write(
                    _dumps(
                        {"t": "m", "q": seq, "s": step, "w": _now(), "d": values}, option=_NEWLINE
                    )
                )
            else:
                ok = self._write_wide(seq, step, values)
        if not ok:
            self._warn_dropped(step)
        self._last.update(values)

    def _write_wide(self, seq: int, step: int, values: dict[str, Any]) -> bool:
        """A call wider than a record may be (the server refuses it): records of the same
        step, each with at most MAX_METRICS_PER_RECORD values. Holds ``self._lock``."""
        keys = list(values)
        ok = True
        wall = _now()
        for start in range(0, len(keys), MAX_METRICS_PER_RECORD):
            if start:
                seq, self._seq = self._seq, self._seq + 1
            piece = {k: values[k] for k in keys[start : start + MAX_METRICS_PER_RECORD]}
            record = {"t": "m", "q": seq, "s": step, "w": wall, "d": piece}
            ok = self._writer.write(_dumps(record, option=_NEWLINE)) and ok
        return ok

    def _key_ok(self, key: Any) -> bool:
        problem = key_problem(key)
        if problem:
            warn_once(self._warned, repr(key)[:100], f"{problem}; the value is skipped")
            return False
        self._good_keys.add(key)
        return True

    def _flatten(self, prefix: str, nested: Mapping[str, Any], out: dict[str, Any]) -> None:
        for key, value in nested.items():
            full = f"{prefix}/{key}"
            if isinstance(value, Mapping):
                self._flatten(full, value, out)
                continue
            if full not in self._good_keys and not self._key_ok(full):
                continue
            coerced = coerce(value)
            if is_skip(coerced):
                warn_once(
                    self._warned,
                    full,
                    f"metric {full!r} has a value of type {type(value).__name__}, not a number; it is skipped",
                )
            else:
                out[full] = coerced

    def _coerce_step(self, step: Any) -> int | None:
        try:
            if isinstance(step, bool) or int(step) != step:
                raise ValueError
            return int(step)
        except (TypeError, ValueError, OverflowError):
            warn_once(
                self._warned, "\0step", f"step must be an integer, got {step!r}; log() skipped"
            )
            return None

    def _warn_dropped(self, step: int | None = None) -> None:
        """One warning, at the first record the full disk costs us; finish() gives the count."""
        if not self._warned_full_disk:
            self._warned_full_disk = True
            what = f"metrics from step {step} on" if step is not None else "records"
            warnings.warn(
                f"trailmark: the disk holding {self.spool_path} is full ({self._writer.last_error}); "
                f"{what} of run {self.id} are being dropped while it stays full, and training "
                "goes on. Free space there to resume recording; finish() reports how many "
                "records were lost.",
                stacklevel=3,
            )

    # other records

    def _write(self, record: dict[str, Any], last: bool = False) -> bool:
        with self._lock:
            record["q"] = self._seq
            self._seq += 1
            ok = self._writer.write(encode(record), essential=last)
            if last:  # under the lock: no capture thread writes after the finish record
                self._finished = True
        if not ok:
            self._warn_dropped()
        return ok

    def _emit(self, record: dict[str, Any]) -> None:
        """Write a record from a capture thread; dropped once the run has finished."""
        with self._lock:
            if self._finished:
                return
            record["q"] = self._seq
            self._seq += 1
            ok = self._writer.write(encode_capture(record))
        if not ok:
            self._warn_dropped()

    def _emit_config(self, values: dict[str, Any]) -> None:
        if not self._finished:
            # Secret-looking keys and URL passwords are hidden in what is recorded (the spool
            # and the server); the script's own run.config keeps the real values.
            self._write({"t": rec.CONFIG, "d": redact(values)})

    def _emit_summary(self, values: dict[str, Any]) -> None:
        for key in values:
            problem = key_problem(key)
            if problem:
                raise ValueError(problem)
        if not self._finished:
            self._write({"t": rec.SUMMARY, "d": values})

    def define_metric(self, name: str, summary: str = "last") -> None:
        """Choose what the run's summary shows for metric ``name``: last, min, max, mean, first or none."""
        if summary not in rec.SUMMARY_MODES:
            raise ValueError(
                f"summary must be one of {', '.join(rec.SUMMARY_MODES)}, got {summary!r}"
            )
        problem = key_problem(name)
        if problem:
            raise ValueError(problem)
        self._write({"t": rec.DEFINE, "k": name, "summary": summary})

    def set_tags(self, tags: list[str]) -> None:
        self._write({"t": rec.UPDATE, "tags": list(tags)})

    def set_notes(self, notes: str) -> None:
        self._write({"t": rec.UPDATE, "notes": notes})

    @property
    def step(self) -> int:
        """The step the next ``log()`` without ``step=`` will use."""
        return self._step

    # files and artifacts (uploaded by a background thread; finish() waits for them)

    def _files(self, what: str) -> RunContent | None:
        if self._finished:
            raise InvalidInput(f"run {self.id} is finished; {what} needs a run in progress")
        if self._content is None and self._make_content is not None:
            self._content = self._make_content()
        if self._content is None and self.mode == "offline":
            warn_once(
                self._warned,
                "\0offline-files",
                f"trailmark: run {self.id} is offline; {what} is skipped (artifacts and files "
                "need the destination: log them from an online run)",
            )
        return self._content

    def log_artifact(self, artifact: Artifact, aliases: list[str] | None = None) -> Artifact:
        """Log ``artifact`` as this run's output: its next version (v0, v1, ...) in the project.

        Returns at once; a background thread uploads the files the destination lacks and
        commits the version (``latest`` and ``aliases`` point at it). ``artifact.wait()``
        blocks until then; :meth:`finish` waits for it too.

        Example::

            art = trailmark.Artifact("model", type="model")
            art.add_file("model.pt")
            run.log_artifact(art, aliases=["best"])
        """
        content = self._files("log_artifact")
        return artifact if content is None else content.log_artifact(artifact, list(aliases or []))

    def use_artifact(self, ref: str) -> Artifact:
        """The artifact version ``"name:alias"``, ``"name:v3"`` or ``"project/name:v3"``,
        recorded as this run's input (lineage). Call ``.download()`` on it for the files.

        Example: ``data = run.use_artifact("imagenet-subset:latest"); root = data.download()``
        """
        content = self._files("use_artifact")
        if content is None:
            raise InvalidInput(f"use_artifact needs an online run; run {self.id} is {self.mode}")
        return content.use_artifact(ref)

    def save(
        self, path: str | os.PathLike[str], base_path: str | os.PathLike[str] | None = None
    ) -> list[str]:
        """Save files with the run: a file, a directory or a glob (``"checkpoints/*.pt"``),
        named relative to ``base_path`` (their directory by default). Returns their names.

        Example: ``run.save("outputs/model")`` saves ``model/...``, registrable as
        ``runs/RUN_ID/model``.
        """
        from trailmark.sdk.uploader import expand

        content = self._files("save")
        files = expand(path, base_path)
        return [name for name, _ in files] if content is None else content.save_files(files)

    def log_file(self, path: str | os.PathLike[str], name: str | None = None) -> str:
        """Save one file with the run under ``name`` (its file name by default)."""
        content = self._files("log_file")
        target = name or Path(path).name
        if not Path(path).is_file():
            raise InvalidInput(f"{path} is not a file")
        return target if content is None else content.save_files([(target, Path(path))])[0]

    # the end

    def finish(
        self,
        exit_code: int = 0,
        timeout: float | None = None,
        *,
        state: str | None = None,
        error: str | None = None,
    ) -> ShipReport | None:
        """Mark the run ended and ship what is left, waiting at most ``timeout`` seconds.

        Returns what remains unshipped; when something does, a warning says how to ship it
        later (as it does for an offline run).
        """
        if self._finished:
            return None
        wait = self._finish_timeout if timeout is None else timeout
        if self._captures is not None:
            # First, so the last console lines and samples come before the finish record.
            self._captures.stop(min(wait, 5.0))
        if self._content is not None:
            started = time.monotonic()
            unfinished = self._content.finish(wait)
            wait = max(0.0, wait - (time.monotonic() - started))
            if unfinished:
                warnings.warn(
                    f"trailmark: run {self.id} finished before these uploads did: "
                    f"{', '.join(unfinished)}; log them again from another run",
                    stacklevel=2,
                )
            else:
                self._content.close()
        final = state or ("finished" if exit_code == 0 else "failed")
        record: dict[str, Any] = {
            "t": rec.FINISH,
            "state": final,
            "exit_code": exit_code,
            "w": _now(),
        }
        if error:
            record["error"] = error[-20_000:]
        recorded = self._write(record, last=True)
        _forget(self)
        if self._writer.dropped:
            warnings.warn(
                f"trailmark: {self._writer.dropped} records of run {self.id} were dropped "
                f"because the disk holding {self.spool_path} was full",
                stacklevel=2,
            )
        if not recorded:
            warnings.warn(
                f"trailmark: the end of run {self.id} ({final}) could not be recorded: the disk "
                f"holding {self.spool_path} is full, and the run shows as running. Free space "
                f"there and run: trailmark sync {self.spool_path} (it records the run as crashed)",
                stacklevel=2,
            )
        report = None
        if self._sender is not None:
            # A spool without its finish record stays here for `trailmark sync` to end.
            report = (self._hand_off() if recorded else None) or self._sender.stop(wait)
            if report.handed_off:
                self._writer.close()  # the ingest service holds the spool's lock now
            elif report.complete and not recorded:
                self._writer.close()  # the spool stays for `trailmark sync` to end the run
            elif report.complete:
                self._writer.close()
                from trailmark.sdk import spool

                spool.remove(self.spool_path)
            else:
                self._writer.close()
                warnings.warn(
                    f"trailmark: {report.remaining} records of run {self.id} are not shipped yet"
                    f" ({report.last_error or 'time ran out'}); they are safe in {self.spool_path}."
                    f" Ship them with: trailmark sync {self.spool_path}",
                    stacklevel=2,
                )
        else:
            self._writer.close()
            if self.mode == "offline":
                # A warning, as every other message of the SDK: on stderr, never on the
                # script's stdout, and a user can filter it like any other.
                warnings.warn(
                    f"trailmark: run {self.id} saved offline; upload with: "
                    f"trailmark sync {self.spool_path}",
                    stacklevel=2,
                )
        return report

    def _hand_off(self) -> ShipReport | None:
        """A local run's spool given to the ingest service, which stores the rest (finish
        returns without waiting for it: see :mod:`trailmark.sdk.local_ingest.adopt`)."""
        sender = self._sender
        hand_off = getattr(sender.transport, "hand_off", None) if sender else None
        if sender is None or hand_off is None:
            return None
        if not hand_off(self.spool_path, self._writer.fileno(), lambda: sender.abandon(5.0)):
            return None
        return ShipReport(self.spool_path, 0, sender.rejected, None, handed_off=True)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.finish_with_exception(exc_type, exc, tb)

    def finish_with_exception(
        self,
        exc_type: type[BaseException],
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        state = "killed" if issubclass(exc_type, KeyboardInterrupt) else "failed"
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        self.finish(exit_code=1, state=state, error=text)

    def __repr__(self) -> str:
        return f"<Run {self.project}/{self.id} {self.name!r}>"


_active: list[Run] = []
_active_lock = threading.Lock()


def remember(run: Run) -> None:
    with _active_lock:
        _active.append(run)


def _forget(run: Run) -> None:
    with _active_lock:
        if run in _active:
            _active.remove(run)


def active_runs() -> list[Run]:
    with _active_lock:
        return list(_active)
