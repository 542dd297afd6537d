"""Copy MLflow experiments and runs into Trailmark, idempotently.

Each run keeps its MLflow id (a 32-hex uuid is a valid Trailmark run id), so importing again
finds the run it made before and merges into it: params, tags and metric points that are
already there are not added twice (the MLflow API Trailmark serves is idempotent), and files
already present with the same size are not sent again. A run whose source has not changed
since the last import (same status, end time, latest metrics, params, tags and files: the
``trailmark.import.signature`` tag) is skipped without reading its history.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trailmark.errors import NotFound, TrailmarkError
from trailmark.mlflow_import.sink import Sink
from trailmark.mlflow_import.source import MlflowSource, redacted
from trailmark.validation import check_run_id

SIGNATURE_TAG = "trailmark.import.signature"
SOURCE_TAG = "trailmark.import.source"
BATCH_METRICS = 1000
BATCH_PARAMS_TAGS = 100


@dataclass
class ImportReport:
    experiments: int = 0
    runs_created: int = 0
    runs_merged: int = 0
    runs_unchanged: int = 0
    points: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.experiments} experiments; runs: {self.runs_created} created, "
            f"{self.runs_merged} merged, {self.runs_unchanged} unchanged; "
            f"{self.points} metric points and {self.files} files sent"
        )
        if self.problems:
            text += f"; {len(self.problems)} problem(s):\n  " + "\n  ".join(self.problems)
        return text


@dataclass(frozen=True)
class PlannedRun:
    run: Any
    experiment_id: str  # in Trailmark


def project_name(name: str) -> str:
    """A Trailmark project name for an MLflow experiment name (no '/', at most 256 chars)."""
    cleaned = "".join(ch for ch in name if ch >= " " and ch != "\x7f").strip("/ ")
    return cleaned.replace("/", "-")[:256] or "Default"


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _kv(items: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in items.items()]


def signature(run: Any, files: list[tuple[str, int | None]]) -> str:
    """What a run looks like from outside; when it has not changed, there is nothing to copy."""
    data = {
        "status": run.info.status,
        "end": run.info.end_time,
        "name": run.info.run_name,
        "deleted": run.info.lifecycle_stage,
        "params": run.data.params,
        "tags": {k: v for k, v in run.data.tags.items() if not k.startswith("trailmark.import.")},
        "metrics": dict(sorted(run.data.metrics.items())),
        "files": sorted(files),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


class Importer:
    def __init__(self, source: MlflowSource, sink: Sink, include_deleted: bool = False) -> None:
        self.source = source
        self.sink = sink
        self.include_deleted = include_deleted
        self.report = ImportReport()

    def plan(self, names: list[str] | None = None) -> list[PlannedRun]:
        """Make the experiments (found or created) and list the runs to copy."""
        planned: list[PlannedRun] = []
        for exp in self.source.experiments():
            if names and exp.name not in names:
                continue
            experiment_id = self._experiment(exp)
            self.report.experiments += 1
            planned += [
                PlannedRun(run, experiment_id)
                for run in self.source.runs(exp.experiment_id, self.include_deleted)
            ]
        return planned

    def _experiment(self, exp: Any) -> str:
        name = project_name(exp.name)
        try:
            found = self.sink.call("GET", "/experiments/get-by-name", {"experiment_name": name})
        except NotFound:
            self.sink.call("POST", "/experiments/create", {"name": name, "tags": _kv(exp.tags)})
            found = self.sink.call("GET", "/experiments/get-by-name", {"experiment_name": name})
        target = found["experiment"]
        held = {t["key"]: t["value"] for t in target.get("tags", [])}
        for key, value in exp.tags.items():
            if held.get(key) != value:
                fields = {"experiment_id": target["experiment_id"], "key": key, "value": value}
                self.sink.call("POST", "/experiments/set-experiment-tag", fields)
        return str(target["experiment_id"])

    def copy(self, item: PlannedRun) -> None:
        """Copy one run (or merge into the copy made before); problems are reported, not raised."""
        run_id = item.run.info.run_id
        try:
            check_run_id(run_id)
            self._copy(item)
        except TrailmarkError as exc:
            self.report.problems.append(f"run {run_id}: {exc.message}")

    def _copy(self, item: PlannedRun) -> None:
        run, info = item.run, item.run.info
        files = self.source.files(info.run_id)
        sig = signature(run, files)
        try:
            existing = self.sink.call("GET", "/runs/get", {"run_id": info.run_id})["run"]
        except NotFound:
            existing = None
        if existing is not None:
            held = {t["key"]: t["value"] for t in existing["data"].get("tags", [])}
            if held.get(SIGNATURE_TAG) == sig:
                self.report.runs_unchanged += 1
                return
            if existing["info"]["lifecycle_stage"] == "deleted":
                self.sink.call("POST", "/runs/restore", {"run_id": info.run_id})
            self.report.runs_merged += 1
        else:
            self.sink.call(
                "POST",
                "/runs/create",
                {
                    "experiment_id": item.experiment_id,
                    "run_id": info.run_id,
                    "run_name": info.run_name,
                    "user_id": info.user_id,
                    "start_time": info.start_time,
                },
            )
            self.report.runs_created += 1
        self._data(run)
        self._files(item, files, existing)
        self.sink.call(
            "POST",
            "/runs/update",
            {"run_id": info.run_id, "status": info.status, "end_time": info.end_time},
        )
        done = {SOURCE_TAG: redacted(self.source.uri), SIGNATURE_TAG: sig}
        self.sink.call("POST", "/runs/log-batch", {"run_id": info.run_id, "tags": _kv(done)})
        if info.lifecycle_stage == "deleted":
            self.sink.call("POST", "/runs/delete", {"run_id": info.run_id})

    def _data(self, run: Any) -> None:
        run_id = run.info.run_id
        for part in _chunks(_kv(run.data.params), BATCH_PARAMS_TAGS):
            self.sink.call("POST", "/runs/log-batch", {"run_id": run_id, "params": part})
        tags = {k: v for k, v in run.data.tags.items() if not k.startswith("trailmark.import.")}
        for part in _chunks(_kv(tags), BATCH_PARAMS_TAGS):
            self.sink.call("POST", "/runs/log-batch", {"run_id": run_id, "tags": part})
        for key in sorted(run.data.metrics):
            points = [
                {"key": key, "value": m.value, "timestamp": m.timestamp, "step": m.step}
                for m in self.source.history(run_id, key)
            ]
            for part in _chunks(points, BATCH_METRICS):
                self.sink.call("POST", "/runs/log-batch", {"run_id": run_id, "metrics": part})
            self.report.points += len(points)

    def _files(self, item: PlannedRun, files: list[tuple[str, int | None]], existing: Any) -> None:
        if not files:
            return
        run_id = item.run.info.run_id
        held = self._target_files(run_id, None) if existing is not None else {}
        with tempfile.TemporaryDirectory(prefix="trailmark-import-") as tmp:
            for path, size in files:
                if path in held and (size is None or held[path] == size):
                    continue
                local = self.source.download(run_id, path, Path(tmp))
                self.sink.upload(f"{item.experiment_id}/{run_id}/artifacts/{path}", local)
                local.unlink()
                self.report.files += 1

    def _target_files(self, run_id: str, path: str | None) -> dict[str, int | None]:
        fields: dict[str, Any] = {"run_id": run_id}
        if path:
            fields["path"] = path
        found: dict[str, int | None] = {}
        for info in self.sink.call("GET", "/artifacts/list", fields).get("files", []):
            if info.get("is_dir"):
                found.update(self._target_files(run_id, info["path"]))
            else:
                found[info["path"]] = info.get("file_size")
        return found


def import_mlflow(
    source: MlflowSource,
    sink: Sink,
    *,
    include_deleted: bool = False,
    experiments: list[str] | None = None,
    progress: Callable[[list[PlannedRun]], Iterator[PlannedRun]] | None = None,
) -> ImportReport:
    """Copy ``source`` into ``sink``; ``progress`` wraps the iteration over runs."""
    importer = Importer(source, sink, include_deleted)
    planned = importer.plan(experiments)
    for item in progress(planned) if progress else planned:
        importer.copy(item)
    return importer.report
