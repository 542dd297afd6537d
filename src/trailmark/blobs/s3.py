"""Blobs in S3-compatible object storage: ``s3://bucket/prefix`` holds ``<prefix>/sha256/<digest>``.

The endpoint and credentials come from the usual AWS settings (``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, ``~/.aws/config``...),
read by boto3 where the store is opened. Needs ``pip install 'trailmark[s3]'``.

Upload sessions are S3 multipart uploads into ``<prefix>/uploads/<token>``; completing
one hashes the assembled object (streamed), and only if it matches copies it to its
digest key (a server-side copy) and removes the staging object.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

from trailmark.blobs.protocol import READ_CHUNK, MiB, Part, StoredBlob, hash_source
from trailmark.errors import (
    DigestMismatch,
    InvalidInput,
    NotFound,
    StorageFull,
    TrailmarkError,
    Unavailable,
)
from trailmark.manifest import DIGEST_RE, check_digest

_FULL_CODES = {"QuotaExceeded", "XMinioStorageFull", "InsufficientStorage", "StorageFull"}
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → (bucket, ``"prefix/"``); the prefix may be empty."""
    if not url.startswith("s3://"):
        raise InvalidInput(f"an S3 location looks like s3://bucket/prefix, got {url!r}")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not bucket:
        raise InvalidInput(f"the S3 location {url!r} names no bucket: use s3://bucket/prefix")
    prefix = prefix.strip("/")
    return bucket, prefix + "/" if prefix else ""


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class S3BlobStore:
    """A :class:`~trailmark.blobs.protocol.BlobStore` in an S3 bucket under a prefix."""

    def __init__(self, url: str, client: Any = None) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        self.description = f"S3 location s3://{self.bucket}/{self.prefix}"
        if client is None:
            try:
                import boto3
            except ImportError:
                raise InvalidInput(
                    "S3 blob storage needs boto3: pip install 'trailmark[s3]'"
                ) from None
            client = boto3.client("s3")
        self.client = client

    def key_of(self, digest: str) -> str:
        return f"{self.prefix}sha256/{check_digest(digest)}"

    def _staging_key(self, token: str) -> str:
        return f"{self.prefix}uploads/{token}"

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as exc:
            code = _error_code(exc)
            if code in _MISSING_CODES:
                raise NotFound(f"{what}: not found in the {self.description}") from exc
            if code in _FULL_CODES:
                raise StorageFull(
                    f"{what}: the {self.description} is full ({code}); nothing was stored. "
                    "Free space or raise the quota, then retry."
                ) from exc
            if code == "NoSuchBucket":
                raise Unavailable(
                    f"the bucket {self.bucket!r} does not exist; create it or fix --blobs"
                ) from exc
            raise Unavailable(f"{what}: the {self.description} answered {code}: {exc}") from exc
        except BotoCoreError as exc:
            raise Unavailable(f"{what}: cannot reach the {self.description}: {exc}") from exc

    def exists(self, digest: str) -> bool:
        try:
            with self._errors(f"blob {digest}"):
                self.client.head_object(Bucket=self.bucket, Key=self.key_of(digest))
        except NotFound:
            return False
        return True

    def put(self, digest: str, source: BinaryIO) -> int:
        from boto3.s3.transfer import TransferConfig

        check_digest(digest)
        with tempfile.SpooledTemporaryFile(max_size=8 * MiB) as spool:
            body: Any
            if source.seekable():
                body = source
                start = source.tell()
                actual, size = hash_source(source)
                source.seek(start)
            else:  # hash while spooling, so the content is read once
                hasher = hashlib.sha256()
                size = 0
                while chunk := source.read(READ_CHUNK):
                    hasher.update(chunk)
                    spool.write(chunk)
                    size += len(chunk)
                actual = hasher.hexdigest()
                spool.seek(0)
                body = spool
            if actual != digest:
                raise DigestMismatch(
                    f"the uploaded content hashes to {actual}, not {digest}; nothing was stored"
                )
            config = TransferConfig(multipart_chunksize=16 * MiB, max_concurrency=2)
            with self._errors(f"storing blob {digest}"):
                self.client.upload_fileobj(body, self.bucket, self.key_of(digest), Config=config)
        return size

    def read(self, digest: str, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
        with self._errors(f"blob {digest}"):
            response = self.client.get_object(Bucket=self.bucket, Key=self.key_of(digest))
        return self._chunks(response["Body"], chunk_size, digest)

    def _chunks(self, body: Any, chunk_size: int, digest: str) -> Iterator[bytes]:
        try:
            with self._errors(f"reading blob {digest}"):
                yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def delete(self, digest: str) -> None:
        with self._errors(f"deleting blob {digest}"):
            self.client.delete_object(Bucket=self.bucket, Key=self.key_of(digest))

    def list(self) -> Iterator[StoredBlob]:
        paginator = self.client.get_paginator("list_objects_v2")
        base = f"{self.prefix}sha256/"
        with self._errors("listing blobs"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=base):
                for item in page.get("Contents", []):
                    name = item["Key"][len(base) :]
                    if DIGEST_RE.fullmatch(name):
                        modified = item["LastModified"].timestamp()
                        yield StoredBlob(name, int(item["Size"]), modified)

    def begin_upload(self) -> str:
        token = secrets.token_hex(16)
        with self._errors("starting an upload"):
            answer = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self._staging_key(token)
            )
        return f"{token}:{answer['UploadId']}"

    def _split(self, handle: str) -> tuple[str, str]:
        token, _, upload_id = handle.partition(":")
        if len(token) != 32 or not upload_id:
            raise InvalidInput(f"invalid upload handle {handle[:40]!r}")
        return token, upload_id

    def open_part(self, handle: str, number: int, offset: int) -> _S3Part:
        token, upload_id = self._split(handle)
        return _S3Part(self, self._staging_key(token), upload_id, number)

    def complete_upload(self, handle: str, parts: Sequence[Part], digest: str, size: int) -> None:
        token, upload_id = self._split(handle)
        staging = self._staging_key(token)
        with self._errors("completing an upload"):
            if parts:
                self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=staging,
                    UploadId=upload_id,
                    MultipartUpload={
                        "Parts": [{"ETag": p.etag, "PartNumber": p.number} for p in parts]
                    },
                )
            else:
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=staging, UploadId=upload_id
                )
                self.client.put_object(Bucket=self.bucket, Key=staging, Body=b"")
        try:
            with self._errors("checking an upload"):
                body = self.client.get_object(Bucket=self.bucket, Key=staging)["Body"]
                hasher = hashlib.sha256()
                seen = 0
                for chunk in body.iter_chunks(READ_CHUNK):
                    hasher.update(chunk)
                    seen += len(chunk)
                body.close()
            actual = hasher.hexdigest()
            if actual != digest or seen != size:
                raise DigestMismatch(
                    f"the uploaded chunks ({seen} bytes) hash to {actual}, not {digest} "
                    f"({size} bytes); the upload was discarded. Upload the file again."
                )
            with self._errors(f"storing blob {digest}"):
                self.client.copy(
                    {"Bucket": self.bucket, "Key": staging}, self.bucket, self.key_of(digest)
                )
        finally:
            with contextlib.suppress(TrailmarkError), self._errors("removing an upload"):
                self.client.delete_object(Bucket=self.bucket, Key=staging)

    def abort_upload(self, handle: str) -> None:
        token, upload_id = self._split(handle)
        staging = self._staging_key(token)
        with contextlib.suppress(TrailmarkError), self._errors("aborting an upload"):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=staging, UploadId=upload_id)
        with contextlib.suppress(TrailmarkError), self._errors("aborting an upload"):
            self.client.delete_object(Bucket=self.bucket, Key=staging)

    def list_uploads(self) -> Iterator[tuple[str, float]]:
        base = f"{self.prefix}uploads/"
        paginator = self.client.get_paginator("list_multipart_uploads")
        with self._errors("listing uploads"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=base):
                for upload in page.get("Uploads", []):
                    token = upload["Key"][len(base) :]
                    yield f"{token}:{upload['UploadId']}", upload["Initiated"].timestamp()


class _S3Part:
    """Spools one chunk (memory up to 8 MiB, then a temporary file), then uploads it as a part."""

    def __init__(self, store: S3BlobStore, key: str, upload_id: str, number: int) -> None:
        self._store = store
        self._key = key
        self._upload_id = upload_id
        self._number = number
        self._spool = tempfile.SpooledTemporaryFile(max_size=8 * MiB)  # noqa: SIM115
        self._size = 0

    def write(self, data: bytes) -> None:
        self._spool.write(data)
        self._size += len(data)

    def commit(self) -> str:
        try:
            self._spool.seek(0)
            with self._store._errors("storing an upload chunk"):
                answer = self._store.client.upload_part(
                    Bucket=self._store.bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    PartNumber=self._number,
                    Body=self._spool,
                    ContentLength=self._size,
                )
            return str(answer["ETag"])
        finally:
            self._spool.close()

    def abort(self) -> None:
        self._spool.close()
