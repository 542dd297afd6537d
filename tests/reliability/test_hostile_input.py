"""Oversized and malformed input: refused early, with a status and a message that names the
limit, nothing written, and the server's memory flat while it is flooded with such requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson
import pytest

from tests.reliability.helpers import RawResponse, Server, raw_request, rss_kib
from trailmark.limits import (
    MAX_CONFIG_DEPTH,
    MAX_KEY_LENGTH,
    MAX_NAME_LENGTH,
    MAX_RECORDS_PER_BATCH,
    MAX_REQUEST_BYTES,
    MAX_TAGS,
)

OVERSIZED_DECLARED = 40  # Content-Length over the limit: refused before the body is read
OVERSIZED_STREAMED = 10  # chunked, no length: refused once the limit is passed
DECLARED_AT_ONCE = 10
FLAT_GROWTH_KIB = 8 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("hostile"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"d": value}
    return value


def ingest_body(records: list[dict[str, Any]], **envelope: Any) -> dict[str, Any]:
    return {
        "envelope": {"run": "r1", "project": "hostile", "writer": "w1", **envelope},
        "records": records,
    }


def metric(q: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"t": "m", "q": q, "s": q, "w": 1.0, "d": data}


def refused(response: httpx.Response, status: int, *needles: str) -> None:
    assert response.status_code == status, response.text
    message = response.json()["error"]["message"]
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    assert len(message) < 1000


CASES = [
    pytest.param(
        "post",
        "/api/v1/ingest",
        ingest_body([metric(1, {"x": 1.0})], project="p" * (MAX_NAME_LENGTH + 1)),
        400,
        [f"at most {MAX_NAME_LENGTH} characters"],
        id="project name",
    ),
    pytest.param(
        "post",
        "/api/v1/projects",
        {"name": "p" * (MAX_NAME_LENGTH + 1)},
        400,
        [str(MAX_NAME_LENGTH)],
        id="project name (REST)",
    ),
    pytest.param(
        "post",
        "/api/v1/ingest",
        ingest_body([{"t": "run", "q": 1, "name": "n" * (MAX_NAME_LENGTH + 1)}]),
        400,
        ["run name", f"at most {MAX_NAME_LENGTH} characters"],
        id="run name",
    ),
    pytest.param(
        "post",
        "/api/v1/ingest",
        ingest_body([metric(1, {"k" * (MAX_KEY_LENGTH + 1): 1.0})]),
        400,
        [f"at most {MAX_KEY_LENGTH} characters"],
        id="metric key",
    ),
    pytest.param(
        "post",
        "/api/v1/ingest",
        ingest_body([{"t": "cfg", "q": 1, "d": nested(MAX_CONFIG_DEPTH + 1)}]),
        400,
        [f"at most {MAX_CONFIG_DEPTH} levels"],
        id="config depth (ingest)",
    ),
    pytest.param(
        "post",
        "/api/v1/projects/hostile/runs",
        {"config": nested(MAX_CONFIG_DEPTH + 1)},
        400,
        [f"at most {MAX_CONFIG_DEPTH} levels"],
        id="config depth (REST)",
    ),
    pytest.param(
        "post",
        "/api/v1/ingest",
        ingest_body([{"t": "run", "q": 1, "tags": [f"t{i}" for i in range(MAX_TAGS + 1)]}]),
        400,
        [f"at most {MAX_TAGS}"],
        id="tags",
    ),
    pytest.param(
        "post",
        "/api/v1/ingest",
        ingest_body([metric(i + 1, {"x": 1.0}) for i in range(MAX_RECORDS_PER_BATCH + 1)]),
        413,
        [f"at most {MAX_RECORDS_PER_BATCH} records"],
        id="records per batch",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "needles"), CASES)
def test_limits_are_refused_with_a_message_naming_them(
    api: httpx.Client, method: str, path: str, body: Any, status: int, needles: list[str]
) -> None:
    before = api.get("/api/v1/projects").json()
    refused(api.request(method, path, content=orjson.dumps(body), headers=JSON), status, *needles)
    assert api.get("/api/v1/projects").json() == before, "nothing was written"


JSON = {"content-type": "application/json"}


def declared_oversize(port: int) -> RawResponse:
    """Headers declaring a body over the limit and the first 64 kB of it: the answer must
    come without the server waiting for the rest."""
    head = (
        "POST /api/v1/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-ndjson\r\n"
        f"Content-Length: {MAX_REQUEST_BYTES + 1}\r\nConnection: close\r\n\r\n"
    ).encode()
    return raw_request(port, head + b"x" * 65536, timeout=10)


def streamed_oversize(client: httpx.Client) -> httpx.Response:
    """A chunked body with no length that goes on past the limit."""
    block = b'{"t":"m"}\n' * 104_858  # ~1 MiB

    def body() -> Iterator[bytes]:
        for _ in range(MAX_REQUEST_BYTES // len(block) + 2):
            yield block

    return client.post(
        "/api/v1/ingest", content=body(), headers={"content-type": "application/x-ndjson"}
    )


def test_oversized_bodies_are_refused_early_and_memory_stays_flat(
    server: Server, api: httpx.Client
) -> None:
    answer = declared_oversize(server.port)
    assert answer.status == 413 and f"limit of {MAX_REQUEST_BYTES} bytes" in answer.body.decode()
    refused(streamed_oversize(api), 413, f"limit of {MAX_REQUEST_BYTES} bytes")
    limit_kib = MAX_REQUEST_BYTES // 1024

    # Declared too large: refused before the body is read, so memory does not move at all.
    baseline = rss_kib(server.pid)
    with ThreadPoolExecutor(DECLARED_AT_ONCE) as pool:
        statuses = list(
            pool.map(lambda _: declared_oversize(server.port).status, range(OVERSIZED_DECLARED))
        )
    assert statuses == [413] * OVERSIZED_DECLARED
    after_declared = rss_kib(server.pid)
    assert after_declared - baseline < FLAT_GROWTH_KIB, (baseline, after_declared)

    # Streamed past the limit: the server holds at most about one body's worth at a time,
    # however many such requests come (memory bounded by the limit, not by the count).
    peak = [after_declared]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], rss_kib(server.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        for _ in range(OVERSIZED_STREAMED):
            assert streamed_oversize(api).status_code == 413
    finally:
        done.set()
        sampler.join()
    after = rss_kib(server.pid)
    assert peak[0] - baseline < 3 * limit_kib, (baseline, peak[0])
    assert after - baseline < 2 * limit_kib, (baseline, after)
    assert api.get("/health").status_code == 200
    print(
        f"\nserver RSS: {baseline >> 10} MB before, {after_declared >> 10} MB after "
        f"{OVERSIZED_DECLARED} declared oversize requests, peak {peak[0] >> 10} MB and "
        f"{after >> 10} MB after {OVERSIZED_STREAMED} streamed ones (limit {limit_kib >> 10} MB)"
    )
