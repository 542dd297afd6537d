"""``trailmark.Artifact``: a named, versioned collection of files (a dataset, a model, ...).

Files are hashed (sha256, in 1 MiB chunks) when they are added; logging the artifact hands
the manifest to the run's background uploader, which asks the server which contents it
lacks, uploads only those and commits the version. Versions count up per name in a
project (v0, v1, ...); logging the same files again gives the same version back.

Downloads are verified against the manifest and cached by digest in the data dir
(``<data dir>/cache``), so a file already fetched is not fetched again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from trailmark.errors import CorruptBlob, InvalidInput
from trailmark.manifest import (
    Entry,
    check_artifact_name,
    check_type,
    file_digest,
    normalize_path,
    parse_artifact_ref,
    safe_join,
)
from trailmark.sdk import references
from trailmark.sdk.content import ContentClient, FileSource


class Artifact:
    """A named, versioned set of files. Build one, then log it with :meth:`Run.log_artifact`.

    Example::

        import trailmark as tm

        run = tm.init(project="vision")
        art = tm.Artifact("imagenet-subset", type="dataset", metadata={"classes": 100})
        art.add_dir("data/imagenet-subset")                # hashed now, uploaded in the background
        art.add_file("labels.csv")
        art.add_reference("s3://datasets/imagenet/val/")   # tracked by ETag, not copied
        run.log_artifact(art, aliases=["best"])             # becomes v0, v1, ... ("latest" moves)
        art.wait()                                          # only if you need the version now
        print(art.version)

        data = run.use_artifact("imagenet-subset:best")    # records that this run used it
        root = data.download()                              # ./artifacts/imagenet-subset/v0
        data.verify(root)
    """

    def __init__(
        self,
        name: str,
        type: str = "dataset",
        description: str = "",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.name = check_artifact_name(name)
        self.type = check_type(type)
        self.description = description
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.project: str | None = None
        self.version: int | None = None
        self.digest: str | None = None
        self.aliases: list[str] = []
        self.run_id: str | None = None
        self.data: dict[str, Any] = {}
        self.uploaded_bytes = 0
        self.uploaded_files = 0
        self._entries: dict[str, Entry] = {}
        self._sources: dict[str, Path] = {}
        self._state = "draft"
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._client: ContentClient | None = None
        self._cache: Path | None = None

    # building

    def _add(self, entry: Entry, source: Path | None) -> Entry:
        if self._state != "draft":
            raise InvalidInput(
                f"artifact {self.name!r} was already logged; build a new Artifact for a new version"
            )
        if entry.path in self._entries:
            raise InvalidInput(f"artifact {self.name!r} already has a file named {entry.path!r}")
        self._entries[entry.path] = entry
        if source is not None:
            self._sources[entry.path] = source
        return entry

    def add_file(self, path: str | os.PathLike[str], name: str | None = None) -> Entry:
        """Add one file, named ``name`` inside the artifact (its file name by default).

        Example: ``art.add_file("out/model.pt", name="model/weights.pt")``
        """
        source = Path(path)
        if not source.is_file():
            raise InvalidInput(f"{source} is not a file")
        digest, size = file_digest(source)
        return self._add(Entry(normalize_path(name or source.name), size, digest), source)

    def add_dir(self, path: str | os.PathLike[str], prefix: str | None = None) -> list[Entry]:
        """Add every file under a directory, named by its path inside it (under ``prefix``).

        Example: ``art.add_dir("data/train", prefix="train")``
        """
        root = Path(path)
        if not root.is_dir():
            raise InvalidInput(f"{root} is not a directory")
        added = []
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            relative = file.relative_to(root).as_posix()
            added.append(self.add_file(file, f"{prefix}/{relative}" if prefix else relative))
        return added

    def add_reference(self, uri: str, name: str | None = None) -> list[Entry]:
        """Track files by URI and checksum without copying them: ``file:///...``,
        ``s3://bucket/prefix`` (every object under it) or ``https://...``.

        Example: ``art.add_reference("s3://datasets/imagenet/val/", name="val")``
        """
        return [self._add(entry, None) for entry in references.describe(uri, name)]

    @property
    def files(self) -> list[Entry]:
        """The manifest: one entry (path, size, sha256 digest or reference) per file."""
        if not self._entries and self._client is not None and self.version is not None:
            for entry in self._client.files(self._source()):
                self._entries[entry.path] = entry
        return [self._entries[p] for p in sorted(self._entries)]

    @property
    def ref(self) -> str:
        """``name:v3`` once committed, else just the name."""
        return f"{self.name}:v{self.version}" if self.version is not None else self.name

    @property
    def state(self) -> str:
        """``draft``, ``uploading``, ``committed`` or ``failed``."""
        return self._state

    # logging (used by the run's uploader)

    def _pending(self, project: str, run_id: str | None, aliases: list[str]) -> None:
        if self._state != "draft":
            raise InvalidInput(f"artifact {self.name!r} was already logged")
        if not self._entries:
            raise InvalidInput(f"artifact {self.name!r} has no files; add some before logging it")
        self.project, self.run_id, self.aliases = project, run_id, list(aliases)
        self._state = "uploading"

    def _uploads(self) -> list[tuple[Entry, Path]]:
        return [(self._entries[p], self._sources[p]) for p in sorted(self._sources)]

    def _body(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "files": [e.to_json() for e in self.files],
            "metadata": self.metadata,
            "description": self.description,
            "run_id": self.run_id,
            "aliases": [a for a in self.aliases if a != "latest"],
        }

    def _committed(self, view: dict[str, Any], client: ContentClient, cache: Path) -> None:
        self.data = view
        self.project = view["project"]
        self.version = int(view["version"])
        self.digest = view["digest"]
        self.aliases = list(view["aliases"])
        self.run_id = view.get("run")
        self.metadata = dict(view.get("metadata") or {})
        self.description = view.get("description") or ""
        self._client, self._cache = client, cache
        self._sources.clear()
        self._state = "committed"
        self._done.set()

    def _failed(self, error: BaseException) -> None:
        self._error = error
        self._state = "failed"
        self._done.set()

    def wait(self, timeout: float | None = None) -> Artifact:
        """Block until the logged artifact is committed; raise why if it could not be.

        Example: ``run.log_artifact(art); art.wait(); print(art.version)``
        """
        if self._state == "draft":
            raise InvalidInput(f"artifact {self.name!r} is not logged; call run.log_artifact first")
        if not self._done.wait(timeout):
            raise TimeoutError(f"artifact {self.name!r} is still uploading after {timeout}s")
        if self._error is not None:
            raise self._error
        return self

    @classmethod
    def _from_version(cls, view: dict[str, Any], client: ContentClient, cache: Path) -> Artifact:
        artifact = cls(view["artifact"], type=view["type"])
        artifact._committed(view, client, cache)
        return artifact

    @classmethod
    def _empty(cls, ref: str, client: ContentClient) -> Artifact:
        """What a run that records nothing (``mode="disabled"``) gives for
        ``use_artifact(ref)``: committed with no files, so that ``download()`` (an empty
        directory) and ``verify()`` work without a destination."""
        project, name, version = parse_artifact_ref(ref)
        artifact = cls(name)
        artifact.project = project
        if version[:1] == "v" and version[1:].isdigit():
            artifact.version = int(version[1:])
        else:
            artifact.aliases = [version]
        artifact._client, artifact._cache = client, Path(os.devnull)
        artifact._state = "committed"
        artifact._done.set()
        return artifact

    # reading

    def _source(self) -> FileSource:
        return FileSource("artifact", self.name, self.project, self.version)

    def _reader(self) -> tuple[ContentClient, Path]:
        if self._state != "committed" or self._client is None or self._cache is None:
            raise InvalidInput(
                f"artifact {self.name!r} is not committed yet; use run.use_artifact(...) or "
                "art.wait() after logging it"
            )
        return self._client, self._cache

    def default_root(self) -> Path:
        label = f"v{self.version}" if self.version is not None else "-".join(self.aliases)
        return Path("artifacts") / self.name / (label or "latest")

    def download(self, root: str | os.PathLike[str] | None = None) -> Path:
        """Fetch every file under ``root`` (``./artifacts/NAME/vN`` by default) and return it.

        Files already there with the right content are kept; contents are cached by
        digest in the data dir; every file is checked against its sha256 (a damaged copy
        raises :class:`~trailmark.errors.CorruptBlob` and is not written).
        """
        client, cache = self._reader()
        target = Path(root) if root is not None else self.default_root()
        target.mkdir(parents=True, exist_ok=True)
        download_entries(client, self._source(), self.files, target, cache)
        return target

    def verify(self, root: str | os.PathLike[str] | None = None) -> None:
        """Check that the files under ``root`` match the manifest; raise CorruptBlob if not."""
        self._reader()
        verify_entries(
            self.files, Path(root) if root is not None else self.default_root(), self.ref
        )

    def __repr__(self) -> str:
        where = f"{self.project}/" if self.project else ""
        return f"<Artifact {where}{self.ref} type={self.type} {self._state}>"


COPY_BLOCK = 1024 * 1024


class _Hashing:
    """A file wrapper that hashes and counts what is written through it."""

    def __init__(self, sink: BinaryIO) -> None:
        self.sink = sink
        self.hasher = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hasher.update(data)
        self.size += len(data)
        return self.sink.write(data)


@contextlib.contextmanager
def _atomic(target: Path) -> Iterator[BinaryIO]:
    """Write to a temporary file beside ``target``, renamed into place only on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=".tm-", suffix=".part")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _check(entry: Entry, written: _Hashing, what: str) -> None:
    actual = written.hasher.hexdigest()
    if entry.digest is not None and actual != entry.digest:
        raise CorruptBlob(
            f"{what}/{entry.path} is damaged: it hashes to {actual}, not {entry.digest}; it was "
            "not used. Upload it again, or restore the store's copy from a backup."
        )
    if entry.digest is None and written.size != entry.size:
        raise CorruptBlob(
            f"{what}/{entry.path} has {written.size} bytes, not {entry.size}: its source "
            f"{entry.ref} changed since it was referenced"
        )


def _matches(path: Path, entry: Entry) -> bool:
    if not path.is_file() or path.stat().st_size != entry.size:
        return False
    return entry.digest is None or file_digest(path)[0] == entry.digest


def cache_path(cache: Path, digest: str) -> Path:
    return cache / "sha256" / digest[:2] / digest


def download_entries(
    client: ContentClient, source: FileSource, entries: list[Entry], root: Path, cache: Path
) -> None:
    """Materialise ``entries`` under ``root``, verified, skipping files already correct."""
    what = source.describe()
    for entry in entries:
        target = safe_join(root, entry.path)
        if _matches(target, entry):
            continue
        if entry.ref is not None:
            with _atomic(target) as out:
                written = _Hashing(out)
                references.fetch(entry, written)
                _check(entry, written, what)
            continue
        assert entry.digest is not None
        if not client.uses_cache:
            with _atomic(target) as out:
                written = _Hashing(out)
                client.fetch(source, entry, written)
                _check(entry, written, what)
            continue
        cached = cache_path(cache, entry.digest)
        if cached.is_file() and cached.stat().st_size == entry.size:
            try:
                with _atomic(target) as out, cached.open("rb") as cached_file:
                    written = _Hashing(out)
                    shutil.copyfileobj(cached_file, written, COPY_BLOCK)
                    _check(entry, written, "the download cache")
                continue
            except CorruptBlob:
                cached.unlink(missing_ok=True)  # a damaged cached copy: fetch it again
        with _atomic(cached) as out:
            written = _Hashing(out)
            client.fetch(source, entry, written)
            _check(entry, written, what)
        with _atomic(target) as out, cached.open("rb") as cached_file:
            shutil.copyfileobj(cached_file, out, COPY_BLOCK)


def verify_entries(entries: list[Entry], root: Path, what: str) -> None:
    problems = []
    for entry in entries:
        path = safe_join(root, entry.path)
        if not path.is_file():
            problems.append(f"{entry.path}: missing")
        elif path.stat().st_size != entry.size:
            problems.append(f"{entry.path}: {path.stat().st_size} bytes, not {entry.size}")
        elif entry.digest is not None and file_digest(path)[0] != entry.digest:
            problems.append(f"{entry.path}: content differs (sha256)")
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise CorruptBlob(
            f"{len(problems)} file(s) under {root} do not match {what}: {shown}. "
            "Run download() again to restore them."
        )
