"""Content through a Trailmark server's REST API: deduplicated, resumable, streamed uploads.

Files up to one chunk go up whole (``PUT .../blobs/{digest}``); larger ones in a session of
16 MiB chunks. The session's id is kept in ``<data dir>/uploads/`` until it completes, so
an upload interrupted by a dead network *or a dead process* resumes where the server says
it stopped instead of starting again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from trailmark.blobs.protocol import DEFAULT_PART_SIZE, MAX_SINGLE_PUT
from trailmark.client import Client, FileSlice, quote
from trailmark.errors import Conflict, DigestMismatch, NotFound
from trailmark.manifest import Entry
from trailmark.sdk.content import FileSource, Progress, Sink


class HttpContent:
    """The :class:`~trailmark.sdk.content.ContentClient` of a server."""

    uses_cache = True

    def __init__(
        self,
        url: str,
        data_dir: Path,
        part_size: int = DEFAULT_PART_SIZE,
        api_key: str | None = None,
    ) -> None:
        from trailmark.credentials import auth_for, sign_in_errors

        self.url = url
        self.client = Client(
            url, timeout=120.0, auth=auth_for(url, api_key), errors=sign_in_errors(url)
        )
        self.sessions_dir = data_dir / "uploads"
        self.part_size = part_size
        self.bytes_uploaded = 0
        self._count_lock = threading.Lock()

    def _project(self, project: str) -> str:
        return f"/api/v1/projects/{quote(project)}"

    def missing(self, project: str, digests: list[str]) -> list[str]:
        found: list[str] = []
        for start in range(0, len(digests), 10_000):
            answer = self.client.request(
                "POST",
                self._project(project) + "/blobs/missing",
                json={"digests": digests[start : start + 10_000]},
                idempotent=True,  # a read
            )
            found.extend(answer.json()["missing"])
        return found

    def _count(self, progress: Progress) -> Progress:
        def counted(n: int) -> None:
            with self._count_lock:
                self.bytes_uploaded += n
            progress(n)

        return counted

    def upload(self, project: str, digest: str, size: int, path: Path, progress: Progress) -> None:
        with path.open("rb") as source:
            if size <= min(self.part_size, MAX_SINGLE_PUT):
                body = FileSlice(source, 0, size, self._count(progress))
                target = f"{self._project(project)}/blobs/{digest}"
                self.client.stream("PUT", target, upload=body, length=size)
                return
            self._upload_in_chunks(project, digest, size, source, progress)

    def _session_file(self, project: str, digest: str) -> Path:
        key = hashlib.sha256(f"{self.url}\0{project}\0{digest}".encode()).hexdigest()[:32]
        return self.sessions_dir / f"{key}.json"

    def _session(self, project: str, digest: str, size: int) -> dict[str, Any]:
        """The upload session to continue (kept from an earlier attempt) or a new one."""
        saved = self._session_file(project, digest)
        with contextlib.suppress(OSError, ValueError, KeyError, NotFound):
            session_id = orjson.loads(saved.read_bytes())["id"]
            found = self.client.request_json(
                "GET", f"{self._project(project)}/uploads/{session_id}"
            )
            return dict(found)
        session = dict(
            self.client.request_json(
                "POST", f"{self._project(project)}/uploads", {"digest": digest, "size": size}
            )
        )
        if session.get("id"):
            saved.parent.mkdir(parents=True, exist_ok=True)
            tmp = saved.with_suffix(".tmp")
            tmp.write_bytes(orjson.dumps({"id": session["id"], "digest": digest}))
            os.replace(tmp, saved)
        return session

    def _upload_in_chunks(
        self, project: str, digest: str, size: int, source: BinaryIO, progress: Progress
    ) -> None:
        session = self._session(project, digest, size)
        saved = self._session_file(project, digest)
        if session.get("complete"):
            saved.unlink(missing_ok=True)
            return
        path = f"{self._project(project)}/uploads/{session['id']}"
        offset = int(session["offset"])
        counted = self._count(progress)
        while offset < size:
            length = min(self.part_size, size - offset)
            try:
                body = FileSlice(source, offset, length, counted)
                sent = self.client.stream(
                    "PUT", path, upload=body, length=length, params={"offset": offset}
                )
                answer = sent.json()
            except Conflict:  # another attempt got further: ask where to go on
                answer = self.client.request_json("GET", path)
            offset = int(answer["offset"])
        try:
            self.client.request_json("POST", f"{path}/complete")
        except DigestMismatch:
            saved.unlink(missing_ok=True)
            raise
        saved.unlink(missing_ok=True)

    def create_version(self, project: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        path = f"{self._project(project)}/artifacts/{quote(name)}/versions"
        return dict(self.client.request_json("POST", path, body))

    def get_version(self, project: str, name: str, ref: str) -> dict[str, Any]:
        path = f"{self._project(project)}/artifacts/{quote(name)}/versions/{quote(ref)}"
        return dict(self.client.request_json("GET", path))

    def use(self, project: str, name: str, ref: str, run_id: str) -> dict[str, Any]:
        path = f"{self._project(project)}/artifacts/{quote(name)}/versions/{quote(ref)}/use"
        return dict(self.client.request_json("POST", path, {"run_id": run_id}))

    def _version_path(self, source: FileSource) -> str:
        if source.kind == "artifact":
            assert source.project is not None
            return (
                f"{self._project(source.project)}/artifacts/{quote(source.name)}"
                f"/versions/v{source.version}"
            )
        if source.kind == "model":
            return f"/api/v1/models/{quote(source.name)}/versions/{source.version}"
        assert source.project is not None
        return f"{self._project(source.project)}/runs/{quote(source.name)}"

    def files(self, source: FileSource) -> list[Entry]:
        answer = self.client.request_json("GET", self._version_path(source) + "/manifest")
        return [Entry.from_json(item) for item in answer["files"]]

    def fetch(self, source: FileSource, entry: Entry, sink: Sink) -> None:
        quoted = "/".join(quote(part) for part in entry.path.split("/"))
        self.client.stream("GET", f"{self._version_path(source)}/files/{quoted}", into=sink)

    def add_run_files(
        self, project: str, run_id: str, files: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        path = f"{self._project(project)}/runs/{quote(run_id)}/files"
        return list(self.client.request_json("POST", path, {"files": files})["files"])

    def registry(self, op: str, *args: Any, **kwargs: Any) -> Any:
        handler = getattr(self, f"_registry_{op}", None)
        if handler is None:
            raise ValueError(f"unknown registry operation {op!r}")
        return handler(*args, **kwargs)

    def _model(self, name: str) -> str:
        return f"/api/v1/models/{quote(name)}"

    def _registry_list_models(self, search: str | None = None) -> list[dict[str, Any]]:
        return list(self.client.request_json("GET", "/api/v1/models", search=search)["models"])

    def _registry_get_model(self, name: str) -> dict[str, Any]:
        return dict(self.client.request_json("GET", self._model(name)))

    def _registry_create_model(
        self, name: str, description: str = "", tags: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body = {"name": name, "description": description, "tags": tags}
        return dict(self.client.request_json("POST", "/api/v1/models", body))

    def _registry_create_version(self, name: str, source: str, **fields: Any) -> dict[str, Any]:
        body = {"source": source, **{k: v for k, v in fields.items() if v is not None}}
        return dict(self.client.request_json("POST", self._model(name) + "/versions", body))

    def _registry_get_version(self, name: str, ref: str | int) -> dict[str, Any]:
        path = f"{self._model(name)}/versions/{quote(str(ref).lstrip('@'))}"
        return dict(self.client.request_json("GET", path))

    def _registry_list_versions(
        self, name: str, limit: int = 100, offset: int = 0, stage: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        answer = self.client.request_json(
            "GET", self._model(name) + "/versions", limit=limit, offset=offset, stage=stage
        )
        return list(answer["versions"]), int(answer["total"])

    def _registry_set_alias(self, name: str, alias: str, version: str | int) -> dict[str, Any]:
        path = f"{self._model(name)}/aliases/{quote(alias)}"
        return dict(self.client.request_json("PUT", path, {"version": version}))

    def _registry_delete_alias(self, name: str, alias: str) -> None:
        self.client.request_json("DELETE", f"{self._model(name)}/aliases/{quote(alias)}")

    def _registry_set_stage(
        self, name: str, version: str | int, stage: str, archive_existing: bool | None = None
    ) -> dict[str, Any]:
        path = f"{self._model(name)}/versions/{quote(str(version))}/stage"
        body = {"stage": stage, "archive_existing": archive_existing}
        return dict(self.client.request_json("PUT", path, body))

    def _registry_events(
        self, name: str, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        answer = self.client.request_json(
            "GET", self._model(name) + "/events", limit=limit, offset=offset
        )
        return list(answer["events"]), int(answer["total"])

    def close(self) -> None:
        self.client.close()
