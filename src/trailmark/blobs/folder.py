"""Blobs in a local folder: ``<root>/sha256/<ab>/<digest>``, written atomically.

Layout::

    <root>/sha256/ab/ab12...ef     published blobs (read-only once written)
    <root>/tmp/                    whole uploads being written and hashed
    <root>/uploads/<handle>        upload sessions: one file written at chunk offsets

A blob appears only by ``os.replace`` after its content was hashed and fsynced, so a
crash never leaves a half-written blob under its digest. A full disk raises
:class:`~trailmark.errors.StorageFull` and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from trailmark.blobs.protocol import READ_CHUNK, Part, StoredBlob
from trailmark.errors import DigestMismatch, InvalidInput, NotFound, StorageFull
from trailmark.manifest import DIGEST_RE, check_digest

_HANDLE = re.compile(r"[0-9a-f]{32}")
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


@contextlib.contextmanager
def _disk_errors(root: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno in _FULL:
            raise StorageFull(
                f"the blob folder {root} is full ({exc.strerror}); nothing was stored. "
                "Free space there (`trailmark gc --delete` removes unreferenced blobs) and retry."
            ) from exc
        raise


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FolderBlobStore:
    """A :class:`~trailmark.blobs.protocol.BlobStore` in a directory (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.description = f"folder {self.root}"

    def path_of(self, digest: str) -> Path:
        check_digest(digest)
        return self.root / "sha256" / digest[:2] / digest

    def _upload_path(self, handle: str) -> Path:
        if not _HANDLE.fullmatch(handle):
            raise InvalidInput(f"invalid upload handle {handle[:40]!r}")
        return self.root / "uploads" / handle

    def exists(self, digest: str) -> bool:
        return self.path_of(digest).is_file()

    def put(self, digest: str, source: BinaryIO) -> int:
        target = self.path_of(digest)
        tmp_dir = self.root / "tmp"
        with _disk_errors(self.root):
            tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
            tmp = Path(name)
            try:
                hasher = hashlib.sha256()
                size = 0
                with os.fdopen(fd, "wb") as out:
                    while chunk := source.read(READ_CHUNK):
                        hasher.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                actual = hasher.hexdigest()
                if actual != digest:
                    raise DigestMismatch(
                        f"the uploaded content hashes to {actual}, not {digest}; nothing was "
                        "stored. Was the file changed while it was uploading? Upload it again."
                    )
                self._publish(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
        return size

    def _publish(self, tmp: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            return  # the same content is already there
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
        _fsync_dir(target.parent)

    def read(self, digest: str, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
        path = self.path_of(digest)
        try:
            f = path.open("rb")
        except FileNotFoundError:
            raise NotFound(f"blob {digest} is not in the {self.description}") from None
        return _read_chunks(f, chunk_size)

    def delete(self, digest: str) -> None:
        self.path_of(digest).unlink(missing_ok=True)

    def list(self) -> Iterator[StoredBlob]:
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for fan in sorted(base.iterdir()):
            if not fan.is_dir():
                continue
            for path in sorted(fan.iterdir()):
                if DIGEST_RE.fullmatch(path.name):
                    st = path.stat()
                    yield StoredBlob(path.name, st.st_size, st.st_mtime)

    def begin_upload(self) -> str:
        handle = secrets.token_hex(16)
        path = self._upload_path(handle)
        with _disk_errors(self.root):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        return handle

    def open_part(self, handle: str, number: int, offset: int) -> _FolderPart:
        path = self._upload_path(handle)
        if not path.exists():
            raise NotFound("this upload session's data is gone; start a new upload")
        return _FolderPart(self.root, path, offset)

    def complete_upload(self, handle: str, parts: Sequence[Part], digest: str, size: int) -> None:
        path = self._upload_path(handle)
        target = self.path_of(digest)
        with _disk_errors(self.root):
            with path.open("r+b") as f:
                f.truncate(size)
                hasher = hashlib.sha256()
                while chunk := f.read(READ_CHUNK):
                    hasher.update(chunk)
                f.flush()
                os.fsync(f.fileno())
            actual = hasher.hexdigest()
            if actual != digest:
                path.unlink(missing_ok=True)
                raise DigestMismatch(
                    f"the uploaded chunks hash to {actual}, not {digest}; the upload was "
                    "discarded. Upload the file again."
                )
            self._publish(path, target)
            path.unlink(missing_ok=True)

    def abort_upload(self, handle: str) -> None:
        self._upload_path(handle).unlink(missing_ok=True)

    def list_uploads(self) -> Iterator[tuple[str, float]]:
        base = self.root / "uploads"
        if base.is_dir():
            for path in sorted(base.iterdir()):
                if _HANDLE.fullmatch(path.name):
                    yield path.name, path.stat().st_mtime


def _read_chunks(f: BinaryIO, chunk_size: int) -> Iterator[bytes]:
    with f:
        while chunk := f.read(chunk_size):
            yield chunk


class _FolderPart:
    """Writes one chunk into the session file at its offset (a retry simply overwrites it)."""

    def __init__(self, root: Path, path: Path, offset: int) -> None:
        self._root = root
        self._file = path.open("r+b")
        self._file.seek(offset)

    def write(self, data: bytes) -> None:
        with _disk_errors(self._root):
            self._file.write(data)

    def commit(self) -> str:
        with _disk_errors(self._root):
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
        return ""

    def abort(self) -> None:
        self._file.close()
