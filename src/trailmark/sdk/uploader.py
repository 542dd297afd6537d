"""A run's files and artifacts: hashed on the calling thread, uploaded by a background thread.

``log_artifact``, ``save`` and ``log_file`` only hash (reading files in 1 MiB chunks) and
queue a job; one uploader thread per run asks which contents the destination lacks,
uploads those (resuming interrupted uploads) and commits. Failures a retry may fix (the
server down or busy) are retried with backoff; others fail the job with a warning and the
artifact's :meth:`~trailmark.Artifact.wait` raises them. ``Run.finish`` waits for the
queue, within its timeout.
"""

from __future__ import annotations

import glob
import os
import random
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from trailmark.errors import CorruptBlob, InvalidInput, TrailmarkError
from trailmark.manifest import Entry, file_digest, normalize_path, parse_artifact_ref
from trailmark.sdk.artifacts import Artifact
from trailmark.sdk.content import ContentClient

MAX_BACKOFF = 30.0
UPLOAD_THREADS = 4


def is_transient(exc: BaseException) -> bool:
    """Whether a retry may succeed: network trouble, a busy or failing server, a full disk.

    A file that vanished or cannot be read will not come back by waiting: that fails now.
    """
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    if type(exc).__name__ == "OperationalError":  # SQLAlchemy: the local database is busy
        return True
    if isinstance(exc, TrailmarkError):
        return exc.status >= 500 and not isinstance(exc, CorruptBlob)
    return False


@dataclass
class _Job:
    describe: str
    uploads: list[tuple[Entry, Path]]
    commit: Callable[[ContentClient], None]
    fail: Callable[[BaseException], None]
    project: str
    counted: Callable[[int, int], None] = field(default=lambda files, size: None)


class RunContent:
    """What :class:`~trailmark.Run` delegates files and artifacts to."""

    def __init__(
        self,
        project: str,
        run_id: str,
        cache_dir: Path,
        make_client: Callable[[], ContentClient],
    ) -> None:
        self.project = project
        self.run_id = run_id
        self.cache_dir = cache_dir
        self._make_client = make_client
        self._client: ContentClient | None = None
        self._jobs: deque[_Job] = deque()
        self._busy = 0
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def client(self) -> ContentClient:
        with self._cond:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    # what a Run calls

    def log_artifact(self, artifact: Artifact, aliases: list[str]) -> Artifact:
        artifact._pending(self.project, self.run_id, aliases)

        def commit(client: ContentClient) -> None:
            view = client.create_version(self.project, artifact.name, artifact._body())
            artifact._committed(view, client, self.cache_dir)

        def counted(files: int, size: int) -> None:
            artifact.uploaded_files += files
            artifact.uploaded_bytes += size

        self._submit(
            _Job(
                f"artifact {artifact.name!r}",
                artifact._uploads(),
                commit,
                artifact._failed,
                self.project,
                counted,
            )
        )
        return artifact

    def use_artifact(self, ref: str) -> Artifact:
        project, name, version = parse_artifact_ref(ref)
        client = self.client()
        view = client.use(project or self.project, name, version, self.run_id)
        return Artifact._from_version(view, client, self.cache_dir)

    def save_files(self, files: list[tuple[str, Path]]) -> list[str]:
        entries: list[tuple[Entry, Path]] = []
        for name, path in files:
            digest, size = file_digest(path)
            entries.append((Entry(normalize_path(name), size, digest), path))

        def commit(client: ContentClient) -> None:
            client.add_run_files(self.project, self.run_id, [e.to_json() for e, _ in entries])

        def fail(exc: BaseException) -> None:
            names = ", ".join(e.path for e, _ in entries[:3])
            warnings.warn(f"trailmark: could not save {names}: {exc}", stacklevel=1)

        self._submit(_Job(f"files {entries[0][0].path!r}", entries, commit, fail, self.project))
        return [e.path for e, _ in entries]

    def finish(self, timeout: float | None) -> list[str]:
        """Wait for the queue within ``timeout``; return what was left unfinished."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            while self._jobs or self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._cond.wait(left)
            unfinished = [job.describe for job in self._jobs]
            if self._busy:
                unfinished.append("the upload in progress")
        return unfinished

    def close(self) -> None:
        with self._cond:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # the uploader thread

    def _submit(self, job: _Job) -> None:
        with self._cond:
            self._jobs.append(job)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="trailmark-uploader", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._jobs:
                    self._cond.wait()
                job = self._jobs.popleft()
                self._busy += 1
            try:
                self._attempt(job)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _attempt(self, job: _Job) -> None:
        failures = 0
        while True:
            try:
                self._upload(job)
                job.commit(self.client())
                return
            except Exception as exc:
                if not is_transient(exc) or (self._stopping and failures >= 3):
                    job.fail(exc)
                    if not isinstance(exc, TrailmarkError) or exc.status >= 500:
                        warnings.warn(f"trailmark: {job.describe} failed: {exc}", stacklevel=1)
                    return
                failures += 1
                time.sleep(min(MAX_BACKOFF, 0.2 * 2**failures) * (0.75 + random.random() / 2))

    def _upload(self, job: _Job) -> None:
        client = self.client()
        wanted: dict[str, tuple[Entry, Path]] = {}
        for entry, path in job.uploads:
            assert entry.digest is not None
            wanted.setdefault(entry.digest, (entry, path))
        missing = client.missing(job.project, list(wanted)) if wanted else []
        if not missing:
            return

        def send(digest: str) -> None:
            entry, path = wanted[digest]
            sent = 0

            def progress(n: int) -> None:
                nonlocal sent
                sent += n

            # The server checks the content against the digest, so a file changed since it
            # was hashed is refused (DigestMismatch), never stored under the wrong name.
            client.upload(job.project, digest, entry.size, path, progress)
            with self._cond:
                job.counted(1, sent)

        # Small files are dominated by round trips and fsyncs: a few at a time hide those.
        in_parallel(send, missing, UPLOAD_THREADS)


def in_parallel(work: Callable[[str], None], items: list[str], threads: int) -> None:
    """``work(item)`` for every item on up to ``threads`` threads; the first error is raised.

    Plain threads, not an executor: a script that forgets ``finish()`` ships its artifacts
    at exit, when executors refuse new work. If no thread can start, this one does it all.
    """
    pending = list(reversed(items))
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not pending or errors:
                    return
                item = pending.pop()
            try:
                work(item)
            except BaseException as exc:
                with lock:
                    errors.append(exc)

    started: list[threading.Thread] = []
    for _ in range(min(threads, len(items)) if len(items) > 1 else 0):
        thread = threading.Thread(target=worker, name="trailmark-upload", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # the interpreter is shutting down
            break
        started.append(thread)
    if not started:
        worker()
    for thread in started:
        thread.join()
    if errors:
        raise errors[0]


def expand(
    path: str | os.PathLike[str], base_path: str | os.PathLike[str] | None
) -> list[tuple[str, Path]]:
    """Files matched by ``path`` (a file, a directory or a glob), named relative to ``base_path``
    (the directory of the match by default)."""
    text = os.fspath(path)
    found = (
        sorted(Path(p) for p in glob.glob(text, recursive=True))
        if glob.has_magic(text)
        else [Path(text)]
    )
    files: list[tuple[str, Path]] = []
    for match in found:
        if match.is_dir():
            base = Path(base_path) if base_path is not None else match.parent
            files += [
                (p.resolve().relative_to(base.resolve()).as_posix(), p)
                for p in sorted(match.rglob("*"))
                if p.is_file()
            ]
        elif match.is_file():
            base = Path(base_path) if base_path is not None else match.parent
            files.append((match.resolve().relative_to(base.resolve()).as_posix(), match))
    if not files:
        raise InvalidInput(f"no file matches {text!r}")
    return files


def client_for(url: str | None, data_dir: Path) -> ContentClient:
    """The content client of a server (``url``) or of the local data dir."""
    if url:
        from trailmark.sdk.content_http import HttpContent

        return HttpContent(url, data_dir)
    from trailmark.sdk.content_local import LocalContent

    return LocalContent(data_dir)


def content_for(project: str, run_id: str, data_dir: Path, url: str | None) -> RunContent:
    """What a run started by ``init`` uses for files and artifacts (chosen once, here)."""
    return RunContent(project, run_id, data_dir / "cache", lambda: client_for(url, data_dir))
