"""One of many training processes logging at once to one server.

Usage: ``python load_writer.py URL SPOOL_DIR RUN_ID STEPS GO_FILE RATE``. It starts its run,
waits until the server has stored what ``init`` sent (the run, its environment, git state
and packages) and says so by creating ``SPOOL_DIR/ready``, then waits for ``GO_FILE`` to
exist (so all processes start logging together, and the requests timed are those of
logging, not of 64 interpreters starting at once), logs ``STEPS`` steps
of 10 metrics (as fast as it can, or ``RATE`` steps a second when RATE > 0, as training does),
finishes, and prints JSON: when logging began, finish was called and returned (epoch seconds),
every ingest request's latency as the SDK's HTTP client saw it (apart: those the server
throttled with 429, which the sender sends again after Retry-After, so they are not errors)
and the errors it met. Timing the requests wraps the SDK's HTTP client method; nothing else
is changed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def main() -> None:
    url, spool_dir, run_id, steps, go_file, rate_text = sys.argv[1:7]
    rate = float(rate_text)
    import trailmark as tm
    from trailmark.client import Client, HttpError
    from trailmark.sdk import spool

    latencies: list[float] = []
    sent: list[float] = []
    throttled: list[float] = []
    errors: list[str] = []
    original = Client.request

    def timed(self: Any, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        answered = latencies
        try:
            return original(self, method, path, *args, **kwargs)
        except HttpError as exc:
            if exc.status == 429:
                answered = throttled
            else:
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
            raise
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
            raise
        finally:
            if path.endswith("/ingest"):
                answered.append(time.perf_counter() - started)
                if answered is latencies:
                    sent.append(time.time() - (time.perf_counter() - started))

    Client.request = timed  # type: ignore[method-assign]
    run = tm.init(project="load", id=run_id, name=run_id, url=url, dir=spool_dir)
    while spool.count_lines_after(run.spool_path, spool.read_ack(run.spool_path)):
        time.sleep(0.01)
    Path(spool_dir, "ready").touch()
    while not os.path.exists(go_file):
        time.sleep(0.002)
    began = time.time()
    cpu_began = time.process_time()
    del latencies[:], sent[:], throttled[:]  # from here on: the requests of logging
    for step in range(int(steps)):
        if rate > 0 and step % 10 == 0:
            ahead = began + step / rate - time.time()
            if ahead > 0:
                time.sleep(ahead)
        x = 1.0 / (step + 1)
        run.log(
            {
                "loss": x,
                "acc": 1 - x,
                "lr": 3e-4,
                "grad_norm": x * 3,
                "m4": x + 4,
                "m5": x + 5,
                "m6": x + 6,
                "m7": x + 7,
                "m8": x + 8,
                "m9": x + 9,
            }
        )
    finishing = time.time()
    report = run.finish(timeout=600)
    ended = time.time()
    cpu = time.process_time() - cpu_began
    # A request already on its way when logging began is not one of logging's.
    timed = [(s, x) for s, x in zip(sent, latencies, strict=True) if s >= began]
    if report is None or not report.complete:
        errors.append(f"finish left records unshipped: {report}")
    print(
        json.dumps(
            {
                "began": began,
                "finishing": finishing,
                "ended": ended,
                "cpu": cpu,
                "latencies": [x for _, x in timed],
                "sent": [s for s, _ in timed],
                "throttled": throttled,
                "errors": errors,
            }
        )
    )


if __name__ == "__main__":
    main()
