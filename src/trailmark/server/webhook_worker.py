"""The webhook delivery worker: a background thread of the server, never the request path.

It claims due deliveries from the outbox in the database (a lease, so several server
replicas share the work without sending one twice), posts each one signed, and records
the attempt. Failures that may pass (network errors, 408/429/5xx) are retried with
exponential backoff and jitter up to ``max_attempts``; a redirect, another 4xx or a
refused target fails at once. Registry routes :meth:`WebhookWorker.wake` it after a change.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from trailmark.server.webhook_http import post
from trailmark.store.webhooks import Claimed, WebhookStore

log = logging.getLogger("trailmark.webhooks")


class WebhookWorker:
    """Delivers queued webhook payloads until stopped."""

    def __init__(
        self,
        store: WebhookStore,
        *,
        allow_private: bool = False,
        poll_interval: float = 2.0,
        base_delay: float = 5.0,
        max_delay: float = 3600.0,
        max_attempts: int = 8,
        timeout: float = 10.0,
    ) -> None:
        self.store = store
        self.allow_private = allow_private
        self.poll_interval = poll_interval
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_attempts = max_attempts
        self.timeout = timeout
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="trailmark-webhooks", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.deliver_due()
            except Exception:
                log.exception("webhook delivery failed; retrying later")
                sent = 0
            if not sent:
                self._wake.wait(self.poll_interval)
                self._wake.clear()

    def deliver_due(self) -> int:
        """Deliver what is due now; return how many attempts were made."""
        claimed = self.store.claim(lease=self.timeout * 3 + 30)
        for delivery in claimed:
            if self._stop.is_set():
                break
            self._deliver(delivery)
        return len(claimed)

    def next_delay(self, attempts: int) -> float:
        delay = min(self.max_delay, self.base_delay * 2.0 ** max(0, attempts - 1))
        return delay * (0.8 + random.random() * 0.4)

    def _deliver(self, delivery: Claimed) -> None:
        started = time.monotonic()
        attempt = post(
            delivery.url,
            delivery.body,
            delivery.secret,
            {"X-Trailmark-Event": delivery.event, "X-Trailmark-Delivery": str(delivery.id)},
            allow_private=self.allow_private,
            timeout=self.timeout,
        )
        attempts = delivery.attempts + 1
        retry_at = None
        if not attempt.ok and attempt.retry and attempts < self.max_attempts:
            retry_at = time.time() + self.next_delay(attempts)
        self.store.record_attempt(
            delivery.id,
            ok=attempt.ok,
            status=attempt.status,
            error=attempt.error,
            retry_at=retry_at,
            duration=time.monotonic() - started,
        )


@contextlib.asynccontextmanager
async def run_webhook_worker(app: FastAPI) -> AsyncIterator[None]:
    """Lifespan of the server app: the webhook worker runs while the app serves."""
    settings = app.state.settings
    worker = WebhookWorker(app.state.store.webhooks, allow_private=settings.webhooks_allow_private)
    app.state.webhook_worker = worker
    worker.start()
    try:
        yield
    finally:
        await run_in_threadpool(worker.stop)
