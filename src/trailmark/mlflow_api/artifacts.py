"""MLflow's proxied artifacts (``/api/2.0/mlflow-artifacts/artifacts/...``) on Trailmark's blobs.

What an artifact path names, listings, and saving a file; the streamed upload and download
routes are in :mod:`trailmark.server.mlflow.artifacts`.

Runs and experiments report artifact URIs of the form ``mlflow-artifacts:/...``, so MLflow
clients upload and download through this server (as with ``mlflow server
--serve-artifacts``). The path names what the file belongs to; nothing in it is ever used as
a filesystem path: contents go to the content-addressed blob store, and the path is a key.

- ``EXPERIMENT/RUN_ID/artifacts/PATH``: a file of the run (Trailmark's run files);
- ``EXPERIMENT/models/MODEL_ID/artifacts/PATH``: a file of an MLflow 3 logged model;
- ``_registry/NAME/VERSION/PATH``: a file of a registered model version (read only; what
  ``get-download-uri`` hands out);
- any other relative path: a loose file (MLflow's proxy takes any path), kept in
  Trailmark's loose-artifacts area keyed by the normalised path.

Every path is normalised first: ``..``, absolute paths, backslashes and NUL are refused.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import IO, Any

from trailmark.errors import InvalidInput, NotFound
from trailmark.manifest import Entry, normalize_path
from trailmark.mlflow_api.entities import run_artifact_uri
from trailmark.mlflow_api.fields import Fields
from trailmark.store.store import Store

ROOT = "/api/2.0/mlflow-artifacts/artifacts"
REGISTRY = "_registry"


@dataclass(frozen=True)
class Target:
    """What an artifact path names: a run's, a logged model's or a model version's file(s)."""

    kind: str  # run, model, registry, loose
    owner: str
    version: str
    path: str  # relative to the owner's root; "" is the root

    def under(self, path: str) -> Target:
        joined = posixpath.join(self.path, path) if self.path else path
        return Target(self.kind, self.owner, self.version, normalize_path(joined) if joined else "")


def parse_target(text: str) -> Target:
    parts = [p for p in text.strip("/").split("/") if p]
    if len(parts) >= 3 and parts[0] == REGISTRY:
        kind, owner, version, rest = "registry", parts[1], parts[2], parts[3:]
    elif len(parts) >= 4 and parts[1] == "models" and parts[3] == "artifacts":
        kind, owner, version, rest = "model", parts[2], "", parts[4:]
    elif len(parts) >= 3 and parts[2] == "artifacts":
        kind, owner, version, rest = "run", parts[1], "", parts[3:]
    else:
        kind, owner, version, rest = "loose", "", "", parts
    if text.startswith("/") and kind == "loose":
        normalize_path(text)  # refused: absolute
    path = "/".join(rest)
    return Target(kind, owner, version, normalize_path(path) if path else "")


def _run_project(store: Store, run_id: str) -> str:
    return str(store.runs.get_run(None, run_id)["project"])


def entries_under(store: Store, target: Target) -> list[Entry]:
    """Every file at or under the target, paths relative to the owner's root."""
    if target.kind == "model":
        return store.mlflow.logged_models.get(target.owner, allow_deleted=True).entries(target.path)
    if target.kind == "registry":
        found, _ = store.registry.files(target.owner, target.version, target.path or None)
        return found
    if target.kind == "loose":
        return store.mlflow.loose_artifacts.entries(target.path)
    project = _run_project(store, target.owner)
    out: list[Entry] = []
    while True:
        page, total = store.run_files.list_files(
            project, target.owner, target.path or None, limit=10_000, offset=len(out)
        )
        out += [Entry(f["path"], f["size"], f["digest"]) for f in page]
        if not page or len(out) >= total:
            return out


def one_entry(store: Store, target: Target) -> Entry:
    if not target.path:
        raise InvalidInput("name a file inside the artifact root, not the root itself")
    if target.kind == "registry":
        entry = store.registry.file(target.owner, target.version, target.path)
    elif target.kind in ("model", "loose"):
        found = [e for e in entries_under(store, target) if e.path == target.path]
        if not found:
            owner = f"logged model {target.owner}" if target.kind == "model" else "the server"
            raise NotFound(f"{owner} has no file {target.path!r}")
        entry = found[0]
    else:
        entry = store.run_files.get(_run_project(store, target.owner), target.owner, target.path)
    if entry.digest is None:
        raise InvalidInput(f"{target.path!r} is a reference to {entry.ref}; fetch it from there")
    return entry


def listing(entries: list[Entry], base: str) -> list[dict[str, Any]]:
    """MLflow's FileInfo list of the direct children of ``base`` (names relative to it)."""
    files: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry.path == base:
            return [{"path": posixpath.basename(base), "is_dir": False, "file_size": entry.size}]
        rest = entry.path[len(base) + 1 :] if base else entry.path
        head, slash, _ = rest.partition("/")
        files[head] = (
            {"path": head, "is_dir": True}
            if slash
            else {
                "path": head,
                "is_dir": False,
                "file_size": entry.size,
            }
        )
    return [files[name] for name in sorted(files)]


def save_file(store: Store, target: Target, source: IO[bytes], digest: str, size: int) -> None:
    """Keep ``source`` (whose sha256 is ``digest``) as the target's file; stored once per content."""
    if not target.path:
        raise InvalidInput("an upload needs a file name after the artifact root")
    if not store.uploads.is_stored(digest):
        store.uploads.put(digest, source)  # type: ignore[arg-type]
    entry = Entry(target.path, size, digest)
    if target.kind == "model":
        store.mlflow.logged_models.change(target.owner, file=entry)
    elif target.kind == "run":
        project = _run_project(store, target.owner)
        store.run_files.add(project, target.owner, [entry.to_json()])
    elif target.kind == "loose":
        store.mlflow.loose_artifacts.put(entry)
    else:
        raise InvalidInput("registered model versions are read only; register a new version")


def delete_files(store: Store, target: Target) -> None:
    """Delete a run's or a loose file, or every file under a folder of it."""
    if target.kind == "loose" and target.path:
        store.mlflow.loose_artifacts.delete(target.path)
        return
    if target.kind != "run":
        raise InvalidInput("only a run's artifacts and loose files can be deleted")
    project = _run_project(store, target.owner)
    for entry in entries_under(store, target):
        store.run_files.delete(project, target.owner, entry.path)


def list_artifacts(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """The files and folders directly under ``path`` (names relative to it)."""
    target = parse_target(fields.text("path") or "")
    return {"files": listing(entries_under(store, target), target.path)}


def list_run_artifacts(store: Store, fields: Fields, user: str) -> dict[str, Any]:
    """A run's artifacts under ``path`` (the tracking API's ListArtifacts)."""
    run = store.mlflow.runs.get(fields.text("run_id") or fields.required("run_uuid"))
    run_id = str(run.view["id"])
    base = Target("run", run_id, "", "").under(fields.text("path") or "")
    files = listing(entries_under(store, base), base.path)
    for item in files:
        item["path"] = posixpath.join(base.path, item["path"]) if base.path else item["path"]
    return {"root_uri": run_artifact_uri(run.experiment_id, run_id), "files": files}
