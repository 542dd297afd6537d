"""A server whose blobs live in S3-compatible storage (a real moto server), end to end."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import trailmark as tm
from tests.e2e.artifact_servers import start_server_with
from tests.moto_s3 import moto_endpoint, s3_client, s3_env, s3_url
from trailmark.blobs.s3 import S3BlobStore, parse_s3_url
from trailmark.sdk.content_http import HttpContent
from trailmark.store.gc import collect_garbage
from trailmark.store.store import Store

__all__ = ["moto_endpoint", "s3_url"]
MiB = 1024 * 1024


def test_artifacts_and_gc_on_s3(tmp_path: Path, s3_url: str, moto_endpoint: str) -> None:
    env = s3_env(moto_endpoint)
    server = start_server_with(tmp_path / "server", ["--blobs", s3_url], env)
    try:
        big = random.Random(3).randbytes(11 * MiB)
        (tmp_path / "big.bin").write_bytes(big)
        client = HttpContent(server.url, tmp_path / "client", part_size=5 * MiB)
        digest = hashlib.sha256(big).hexdigest()
        client.upload("p", digest, len(big), tmp_path / "big.bin", lambda n: None)  # 3 parts
        client.close()

        run = tm.init(project="p", url=server.url, dir=tmp_path / "client", id="r1")
        art = tm.Artifact("weights", type="model")
        art.add_file(tmp_path / "big.bin")
        (tmp_path / "small.txt").write_text("hello s3")
        art.add_file(tmp_path / "small.txt")
        run.log_artifact(art).wait(60)
        run.finish()
        assert art.uploaded_files == 1  # the big file was already there
        root = art.download(tmp_path / "out")
        assert (root / "big.bin").read_bytes() == big

        bucket, prefix = parse_s3_url(s3_url)
        keys = {
            o["Key"] for o in s3_client(moto_endpoint).list_objects_v2(Bucket=bucket)["Contents"]
        }
        assert f"{prefix}sha256/{digest}" in keys
        assert not any("/uploads/" in k for k in keys)  # staging objects are cleaned up

        tm.Api(server.url).backend.client.request_json(
            "DELETE", "/api/v1/projects/p/artifacts/weights"
        )
        store = Store.open(
            data_dir=server.data_dir, blobs=S3BlobStore(s3_url, s3_client(moto_endpoint))
        )
        dry = collect_garbage(store.db, store.blobs, grace=-1)
        assert {d for d, _ in dry.blobs} == {digest, hashlib.sha256(b"hello s3").hexdigest()}
        collect_garbage(store.db, store.blobs, delete_now=True, grace=-1)
        store.close()
        keys = {
            o["Key"]
            for o in s3_client(moto_endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])
        }
        assert f"{prefix}sha256/{digest}" not in keys
    finally:
        server.stop()
