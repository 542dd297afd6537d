"""A real S3-compatible server for tests: ``moto_server`` on a free port, one per session."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ports import free_port
from tests.support import wait_for

S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/moto-api/", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint URL of a moto S3 server started for this test session."""
    port = free_port()
    log: Path = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **S3_ENV},
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: _answers(url) or process.poll() is not None, 30, "moto_server", interval=0.1
        )
        if process.poll() is not None:
            raise AssertionError(f"moto_server did not start: {log.read_text()}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_ENV["AWS_SECRET_ACCESS_KEY"],
        region_name=S3_ENV["AWS_DEFAULT_REGION"],
    )


@pytest.fixture
def s3_url(moto_endpoint: str) -> str:
    """``s3://BUCKET/prefix`` in a fresh bucket on the moto server."""
    bucket = f"tm-{secrets.token_hex(6)}"
    s3_client(moto_endpoint).create_bucket(Bucket=bucket)
    return f"s3://{bucket}/trailmark"


def s3_env(endpoint: str) -> dict[str, str]:
    """Environment for a process that should reach the moto server through boto3."""
    return {**S3_ENV, "AWS_ENDPOINT_URL": endpoint}
