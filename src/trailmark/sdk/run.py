"""A run: what ``trailmark.init`` returns. Every call writes records to the run's spool.

``log()`` is the hot path: it validates, encodes one JSON line and appends it with one
``os.write``; it never touches the network or the database (the sender thread does).
"""

from __future__ import annotations

import threading
import time
import traceback
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from trailmark import records as rec
from trailmark.records import json_safe
from trailmark.sdk.config import Config, Summary
from trailmark.sdk.sender import Sender, ShipReport
from trailmark.sdk.spool import NullWriter, SpoolWriter
from trailmark.sdk.values import coerce, is_skip, nonfinite_text, warn_once
from trailmark.validation import key_problem

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
    return orjson.dumps(
        json_safe(record), default=_json_default, option=_NEWLINE | orjson.OPT_NON_STR_KEYS
    )


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
        writer: SpoolWriter | NullWriter,
        sender: Sender | None,
        mode: str,
        finish_timeout: float,
        start_step: int = 0,
        seq_start: int = 1,
    ) -> None:
        self.id = run_id
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
        self.config = Config(config, self._emit_config)
        self.summary = Summary(self._emit_summary, self._last)

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
            ok = self._writer.write(
                _dumps({"t": "m", "q": seq, "s": step, "w": _now(), "d": values}, option=_NEWLINE)
            )
        if not ok:
            self._warn_dropped()
        self._last.update(values)

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

    def _warn_dropped(self) -> None:
        if not self._warned_full_disk:
            self._warned_full_disk = True
            warnings.warn(
                f"trailmark: the disk holding {self.spool_path} is full ({self._writer.last_error}); "
                "records are being dropped and training goes on. Free space to resume recording.",
                stacklevel=3,
            )

    # other records

    def _write(self, record: dict[str, Any]) -> None:
        with self._lock:
            record["q"] = self._seq
            self._seq += 1
            ok = self._writer.write(encode(record))
        if not ok:
            self._warn_dropped()

    def _emit_config(self, values: dict[str, Any]) -> None:
        if not self._finished:
            self._write({"t": rec.CONFIG, "d": values})

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

        Returns what remains unshipped; when something does, prints how to ship it later.
        """
        if self._finished:
            return None
        final = state or ("finished" if exit_code == 0 else "failed")
        record: dict[str, Any] = {
            "t": rec.FINISH,
            "state": final,
            "exit_code": exit_code,
            "w": _now(),
        }
        if error:
            record["error"] = error[-20_000:]
        self._write(record)
        self._finished = True
        _forget(self)
        report = None
        if self._sender is not None:
            report = self._sender.stop(self._finish_timeout if timeout is None else timeout)
            if report.complete:
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
                print(
                    f"trailmark: run {self.id} saved offline; upload with: trailmark sync {self.spool_path}"
                )
        return report

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


class DisabledRun(Run):
    """What ``init(mode="disabled")`` returns: every call does nothing."""

    def log(self, data: Mapping[str, Any], step: int | None = None, commit: bool = True) -> None:
        return None

    def _write(self, record: dict[str, Any]) -> None:
        return None

    def finish(
        self,
        exit_code: int = 0,
        timeout: float | None = None,
        *,
        state: str | None = None,
        error: str | None = None,
    ) -> ShipReport | None:
        self._finished = True
        _forget(self)
        return None


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
