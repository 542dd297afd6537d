"""The server's one ingest writer: requests queue their batches, a thread applies them in groups.

Many training processes posting at once used to mean as many threads, each with its own
write transaction: on SQLite they queued on ``BEGIN IMMEDIATE`` (sleeping in its busy
handler), on PostgreSQL they waited on each other's row locks, and every batch paid for its
own commit. Now a request hands its body to :class:`IngestQueue` and waits; one thread
takes everything queued meanwhile, parses it, and applies it with
:meth:`~trailmark.store.ingest.Ingestor.ingest_many`: one transaction, one commit and one
chunk append per series for the whole group. Groups grow with the load, so the cost per
point falls as the load rises. Each request is answered after the commit of its group, with
its own outcome: a bad batch is refused alone.

Backpressure: the queue holds request bodies not yet answered up to about two seconds of work
(:data:`QUEUE_SECONDS` at the rate measured lately). Beyond that a request is answered
``429 Too Many Requests`` with ``Retry-After`` (the time the queue needs to drain by half,
in whole seconds); the SDK's sender backs off and sends again, its records safe meanwhile in
its spool on disk. So under overload the wait for an answer stays bounded, about two seconds,
instead of growing with the backlog.

Fairness: one request may carry up to 100,000 records (the SDK's batches) of up to thousands
of metrics each, minutes of work on a slow disk. Such a request is applied in slices of about
:data:`SLICE_VALUES` values (:func:`slices`), each its own transaction; after each slice the
rest goes to the back of its lane, so the batches of other writers queued meanwhile are applied
between the slices. Its answer comes after its last slice. A slice is whole records, each
stored at most once, so a request that fails half-way leaves only complete records, and its
retry stores the rest (the durability contract: a retry is harmless).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from trailmark.collector import freeze_once_warm
from trailmark.errors import InvalidInput, TooManyRequests, TrailmarkError, Unavailable
from trailmark.limits import MAX_METRICS_PER_RECORD
from trailmark.store.ingest import Batch, Envelope, Ingestor, IngestResult
from trailmark.store.ingest_checks import validate

log = logging.getLogger("trailmark.server.ingest")

QUEUE_SECONDS = 2.0
"""The queue holds about this long of work (at the rate measured lately): enough that
senders told to come back in a second (``Retry-After`` is in whole seconds, and the SDK adds
up to a quarter) find work still queued, so the server does not idle while they wait, even
when the rate is underestimated; small enough to bound the wait."""

MIN_QUEUED_BYTES = 4 * 1024 * 1024
MAX_QUEUED_BYTES = 64 * 1024 * 1024

MAX_GROUP_BYTES = 2 * 1024 * 1024
"""What one transaction applies at most (a group holds at least one request, whatever its
size): ~70,000 points of typical records. Larger groups save little per point, and every
request in a group waits for all of it."""

MAX_GROUP_BATCHES = 512

SLICE_VALUES = MAX_METRICS_PER_RECORD
"""About how many values (metric values, or one per other record) one transaction applies of
a single request: a few hundred milliseconds of work, the longest another writer's batch
waits behind a huge one. A record is never cut, so a slice holds at least one (and a record
holds at most :data:`~trailmark.limits.MAX_METRICS_PER_RECORD` values)."""

MEASURED_FROM_BYTES = 256 * 1024
"""Smaller groups say more about the cost of a transaction than about the rate."""

POSTGRES_LANES = 2
"""Writer threads on PostgreSQL (see :class:`IngestQueue`); SQLite has one."""

MAX_RETRY_AFTER = 30.0

ASSUMED_BYTES_PER_SECOND = 8e6
"""The apply rate assumed until a group has been timed: ~300,000 points a second."""


@dataclass
class QueueStats:
    """What the writer has done since the server started."""

    groups: int = 0
    batches: int = 0
    throttled: int = 0
    bytes_per_second: float = ASSUMED_BYTES_PER_SECOND


INLINE_PARSE_BYTES = 256 * 1024
"""Bodies up to this size are parsed and checked by the request's handler, on the event
loop, while the writer applies the groups before it (most of a group's wall time is spent
waiting for the database, with the interpreter free): about 0.3 µs a point that is no
longer on the writer's path. Larger bodies are parsed by the writer, so that no request
holds the event loop for long."""


@dataclass
class _Request:
    body: bytes
    content_type: str
    size: int
    batch: Batch | None = None
    """The body parsed and checked, when the handler did it (then ``body`` is empty)."""
    future: Future[IngestResult] = field(default_factory=Future)
    queued_at: float = field(default_factory=time.perf_counter)
    started: bool = False
    """Its first slice has been taken (the future is running)."""
    rest: list[Any] = field(default_factory=list)
    """Records not applied yet, after the slice being applied."""
    done: IngestResult | None = None
    """The outcome of the slices applied so far."""
    total: int = 0
    """``size`` before the first slice (``size`` then counts what is left)."""


class _Lane:
    """Requests waiting for one writer thread, and that thread."""

    def __init__(self, lock: threading.Lock) -> None:
        self.waiting: collections.deque[_Request] = collections.deque()
        self.work = threading.Condition(lock)
        self.thread: threading.Thread | None = None


class IngestQueue:
    """A bounded queue of ingest requests and the threads that apply them.

    ``lanes``: how many writer threads apply groups at once, each with its own database
    connection; a batch goes to the lane of its run, so one run's batches stay in order in
    one lane. One suits SQLite (one writer at a time anyway). On PostgreSQL a group spends
    most of its time waiting (for the database, for the CPU, for the interpreter), so a
    second lane applies its group meanwhile.

    Example::

        queue = IngestQueue(store.ingestor)
        result = queue.submit(body, "application/x-ndjson").result()  # after the commit
        queue.stop()  # applies what is queued, then ends the threads
    """

    def __init__(
        self,
        ingestor: Ingestor,
        *,
        lanes: int = 1,
        max_bytes: int | None = None,
        max_group_bytes: int = MAX_GROUP_BYTES,
        max_group_batches: int = MAX_GROUP_BATCHES,
        slice_values: int = SLICE_VALUES,
    ) -> None:
        if lanes < 1:
            raise ValueError(f"an ingest queue needs at least one lane, got {lanes}")
        self.ingestor = ingestor
        self.fixed_max_bytes = max_bytes
        self.max_group_bytes = max_group_bytes
        self.max_group_batches = max_group_batches
        self.slice_values = slice_values
        self.stats = QueueStats()
        self._unanswered_bytes = 0
        self._lock = threading.Lock()
        self._lanes = [_Lane(self._lock) for _ in range(lanes)]
        self._stopping = False

    @property
    def unanswered_bytes(self) -> int:
        """Bytes of the requests queued or being applied."""
        return self._unanswered_bytes

    @property
    def max_bytes(self) -> int:
        """The most bytes of requests queued or being applied: :data:`QUEUE_SECONDS` of work."""
        if self.fixed_max_bytes is not None:
            return self.fixed_max_bytes
        wanted = int(self.stats.bytes_per_second * len(self._lanes) * QUEUE_SECONDS)
        return min(MAX_QUEUED_BYTES, max(MIN_QUEUED_BYTES, wanted))

    def start(self) -> None:
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        for index, lane in enumerate(self._lanes):
            if lane.thread is None or not lane.thread.is_alive():
                self._stopping = False
                name = "trailmark-ingest" + (f"-{index}" if index else "")
                lane.thread = threading.Thread(
                    target=self._run, args=(lane,), name=name, daemon=True
                )
                lane.thread.start()

    def _lane_of(self, request: _Request) -> _Lane:
        if len(self._lanes) == 1:
            return self._lanes[0]
        if request.batch is not None:
            run_id = request.batch[0].run_id
        else:  # the envelope line of an NDJSON body (any other body: the first lane)
            head = request.body[:65536].lstrip().partition(b"\n")[0]
            try:
                envelope = orjson.loads(head)
            except orjson.JSONDecodeError:
                envelope = None
            run = envelope.get("run") if isinstance(envelope, dict) else None
            if not isinstance(run, str):
                return self._lanes[0]  # refused when parsed; any lane will do
            run_id = run
        return self._lanes[zlib.crc32(run_id.encode()) % len(self._lanes)]

    def submit(self, body: bytes, content_type: str) -> Future[IngestResult]:
        """Queue a request body; its future is resolved after the commit that applies it.

        Raises :class:`TooManyRequests` when the queue is full (a request is always taken
        when nothing is queued, however large), :class:`Unavailable` while stopping.
        """
        return self._submit(_Request(body, content_type, len(body)))

    def submit_prepared(self, batch: Batch, size: int) -> Future[IngestResult]:
        """:meth:`submit` for a body already parsed and checked (:func:`prepare`) of
        ``size`` bytes."""
        return self._submit(_Request(b"", "", size, batch))

    def _submit(self, request: _Request) -> Future[IngestResult]:
        size = request.size
        with self._lock:
            if self._stopping:
                raise Unavailable("the server is shutting down; send the batch again shortly")
            limit = self.max_bytes
            if self._unanswered_bytes and self._unanswered_bytes + size > limit:
                self.stats.throttled += 1
                raise TooManyRequests(
                    f"the server is busy: {self._unanswered_bytes} bytes of batches are "
                    f"waiting to be stored (at most {limit}); send again after "
                    "Retry-After seconds",
                    retry_after=self._retry_after(),
                )
            self._start_locked()
            lane = self._lane_of(request)
            lane.waiting.append(request)
            self._unanswered_bytes += size
            lane.work.notify()
        return request.future

    async def apply(self, body: bytes, content_type: str) -> IngestResult:
        """:meth:`submit` for a request handler: wait for the outcome without blocking the
        loop. A small body is parsed and checked here (see :data:`INLINE_PARSE_BYTES`): a
        malformed one is refused at once, without queueing."""
        if len(body) <= INLINE_PARSE_BYTES:
            future = self.submit_prepared(prepare(body, content_type), len(body))
        else:
            future = self.submit(body, content_type)
        return await asyncio.wrap_future(future)

    def stop(self, timeout: float | None = 30.0) -> None:
        """Refuse new requests, apply those queued, and end the threads."""
        with self._lock:
            self._stopping = True
            for lane in self._lanes:
                lane.work.notify()
            threads = [lane.thread for lane in self._lanes if lane.thread is not None]
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def _retry_after(self) -> float:
        """Seconds until the queue has drained by half, at the rate measured lately."""
        return min(MAX_RETRY_AFTER, 0.5 * self._unanswered_bytes / self.stats.bytes_per_second)

    def _take_group(self, lane: _Lane) -> list[_Request] | None:
        waiting = lane.waiting
        with self._lock:
            while not waiting and not self._stopping:
                lane.work.wait()
            if not waiting:
                return None
            group = [waiting.popleft()]
            size = group[0].size
            while (
                waiting
                and len(group) < self.max_group_batches
                and size + waiting[0].size <= self.max_group_bytes
            ):
                request = waiting.popleft()
                group.append(request)
                size += request.size
            return group

    def _run(self, lane: _Lane) -> None:
        while True:
            group = self._take_group(lane)
            if group is None:
                return
            size = sum(r.size for r in group)
            started, cpu = time.perf_counter(), time.thread_time()
            unfinished: list[_Request] = []
            try:
                unfinished = self._apply(group, busy=bool(lane.waiting))
            except Exception as exc:  # never let the writer die: fail this group, go on
                log.exception("the ingest writer failed on a group of %d batches", len(group))
                for request in group:
                    if not request.future.done():
                        request.future.set_exception(exc)
            finally:
                with self._lock:
                    self._unanswered_bytes -= size
                    for request in unfinished:  # behind what was queued meanwhile
                        self._unanswered_bytes += request.size
                        lane.waiting.append(request)
            seconds = time.perf_counter() - started
            self._measure(len(group), size, seconds)
            freeze_once_warm(self.stats.groups)
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "group of %d batches, %d bytes: waited %.0f ms, applied in %.0f ms "
                    "(%.0f ms of CPU)",
                    len(group),
                    size,
                    (started - group[0].queued_at) * 1e3,
                    seconds * 1e3,
                    (time.thread_time() - cpu) * 1e3,
                )

    def _measure(self, batches: int, size: int, seconds: float) -> None:
        stats = self.stats
        stats.groups += 1
        stats.batches += batches
        if size >= MEASURED_FROM_BYTES and seconds > 0:
            stats.bytes_per_second = 0.7 * stats.bytes_per_second + 0.3 * (size / seconds)

    def _apply(self, group: list[_Request], busy: bool) -> list[_Request]:
        """Apply a group (of each request its next slice); ``busy``: requests wait behind
        it, so work that can wait (compaction) waits. Returns the requests with slices left."""
        parsed: list[Batch] = []
        owners: list[_Request] = []
        for request in group:
            if not request.started:
                if not request.future.set_running_or_notify_cancel():
                    continue
                request.started = True
            try:
                if request.batch is None:
                    request.batch = prepare(request.body, request.content_type)
                    request.body = b""
            except TrailmarkError as exc:
                request.future.set_exception(exc)
                continue
            envelope, records = request.batch
            if request.done is None:  # its first slice
                request.rest, request.total = records, request.size
            piece = next(slices(request.rest, self.slice_values), [])
            request.rest = request.rest[len(piece) :]
            parsed.append((envelope, piece))
            owners.append(request)
        outcomes = self.ingestor.ingest_many(parsed, busy=busy, checked=True) if parsed else []
        unfinished = []
        for request, outcome in zip(owners, outcomes, strict=True):
            if isinstance(outcome, Exception):
                request.future.set_exception(outcome)
                continue
            request.done = _combined(request.done, outcome)
            if request.rest:
                request.size = max(1, request.total * len(request.rest) // len(records_of(request)))
                unfinished.append(request)
            else:
                request.future.set_result(request.done)
        return unfinished


def records_of(request: _Request) -> list[Any]:
    return request.batch[1] if request.batch is not None else []


def _values(record: Any) -> int:
    data = record.get("d") if type(record) is dict else None
    return len(data) if type(data) is dict and data else 1


def slices(records: list[Any], most_values: int) -> Iterator[list[Any]]:
    """``records`` in consecutive slices of at most ``most_values`` values (metric values;
    one for any other record), a record never cut: a larger record is a slice alone."""
    start, count = 0, 0
    for index, record in enumerate(records):
        values = _values(record)
        if index > start and count + values > most_values:
            yield records[start:index]
            start, count = index, 0
        count += values
    if start < len(records):
        yield records[start:]


def _combined(before: IngestResult | None, outcome: IngestResult) -> IngestResult:
    if before is None:
        return outcome
    return IngestResult(
        before.accepted + outcome.accepted,
        before.duplicates + outcome.duplicates,
        max(before.last_seq, outcome.last_seq),
    )


@contextlib.asynccontextmanager
async def run_ingest_writer(app: FastAPI) -> AsyncIterator[None]:
    """Lifespan of the server app: the writer runs while the app serves; at shutdown it
    applies what is queued before the app ends."""
    queue: IngestQueue = app.state.ingest_queue
    queue.start()
    try:
        yield
    finally:
        await run_in_threadpool(queue.stop)


def prepare(body: bytes, content_type: str) -> Batch:
    """The envelope and records of an ingest body, parsed and checked (see
    :func:`~trailmark.store.ingest_checks.validate`); raises what a bad body deserves."""
    envelope, records = parse_body(body, content_type)
    validate(records)
    return envelope, records


def parse_body(body: bytes, content_type: str) -> Batch:
    """The envelope and records of an NDJSON or JSON ingest body."""
    try:
        if content_type.startswith("application/x-ndjson"):
            return _parse_ndjson(body)
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise InvalidInput('send {"envelope": {...}, "records": [...]} or NDJSON')
    return Envelope.from_json(data.get("envelope")), data["records"]


def _parse_ndjson(body: bytes) -> Batch:
    head, _, rest = body.lstrip().partition(b"\n")
    if not head.strip():
        raise InvalidInput("empty batch: send an envelope line and record lines")
    envelope = Envelope.from_json(orjson.loads(head))
    rest = rest.strip()
    if not rest:
        return envelope, []
    try:
        # One parse for all the lines (a newline never occurs inside a JSON text): a
        # quarter faster than a parse a line.
        records = orjson.loads(b"[" + rest.replace(b"\n", b",") + b"]")
        if len(records) == rest.count(b"\n") + 1:
            return envelope, records
    except orjson.JSONDecodeError:
        pass
    # Blank lines in between, or a line that is not JSON on its own (two halves of one
    # text would have parsed above): parse line by line, which names the bad one.
    return envelope, [orjson.loads(line) for line in rest.split(b"\n") if line.strip()]
