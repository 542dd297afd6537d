"""System metrics, sampled by a background thread and written as ``sys`` records.

Every process records its own CPU and memory (``system/proc.*``); one process per node (local
rank 0) also records the machine: CPU, memory, disk I/O and the usage of the disk holding the
run's data, network I/O and every NVIDIA GPU (``system/gpu.<i>.*``). A sample reads a few
files under /proc (through psutil) and costs well under a millisecond, so even one sample a
second stays far below 1% of a core. psutil and pynvml are imported on this thread, never by
``init`` or ``import trailmark``.

Keys and units: ``cpu.util`` (% of all cores), ``proc.cpu.util`` (% of one core),
``proc.mem.rss_mib``, ``mem.used_mib``, ``mem.available_mib``, ``mem.util`` (%),
``disk.read_mib_s``, ``disk.write_mib_s``, ``disk.util`` (% of the run dir's disk),
``disk.free_gib``, ``net.sent_mib_s``, ``net.recv_mib_s``; per GPU ``util`` (%),
``mem.used_mib``, ``mem.util`` (%), ``temp_c``, ``power_w``.
"""

from __future__ import annotations

import threading
import time
import warnings
from pathlib import Path
from typing import Any

from trailmark import records as rec
from trailmark.sdk.capture.gpu import Gpus
from trailmark.sdk.capture.lines import Emit

_MIB = 1024.0 * 1024.0
_GIB = _MIB * 1024.0


class _Machine:
    """Counters of the whole machine between two samples."""

    def __init__(self, psutil: Any, disk_dir: Path) -> None:
        self._psutil = psutil
        self._disk_dir = str(disk_dir)
        psutil.cpu_percent(None)
        self._disk = self._disk_counters()
        self._net = self._net_counters()
        self._when = time.monotonic()

    def _disk_counters(self) -> tuple[int, int] | None:
        try:
            counters = self._psutil.disk_io_counters(perdisk=False)
        except Exception:
            return None
        return None if counters is None else (counters.read_bytes, counters.write_bytes)

    def _net_counters(self) -> tuple[int, int] | None:
        try:
            counters = self._psutil.net_io_counters(pernic=False)
        except Exception:
            return None
        return None if counters is None else (counters.bytes_sent, counters.bytes_recv)

    def sample(self, out: dict[str, float]) -> None:
        psutil = self._psutil
        now = time.monotonic()
        elapsed = max(now - self._when, 1e-6)
        self._when = now
        out["system/cpu.util"] = float(psutil.cpu_percent(None))
        memory = psutil.virtual_memory()
        out["system/mem.used_mib"] = (memory.total - memory.available) / _MIB
        out["system/mem.available_mib"] = memory.available / _MIB
        out["system/mem.util"] = float(memory.percent)
        disk = self._disk_counters()
        if disk is not None and self._disk is not None:
            out["system/disk.read_mib_s"] = max(0, disk[0] - self._disk[0]) / _MIB / elapsed
            out["system/disk.write_mib_s"] = max(0, disk[1] - self._disk[1]) / _MIB / elapsed
        self._disk = disk
        try:
            usage = psutil.disk_usage(self._disk_dir)
            out["system/disk.util"] = float(usage.percent)
            out["system/disk.free_gib"] = usage.free / _GIB
        except OSError:
            pass
        net = self._net_counters()
        if net is not None and self._net is not None:
            out["system/net.sent_mib_s"] = max(0, net[0] - self._net[0]) / _MIB / elapsed
            out["system/net.recv_mib_s"] = max(0, net[1] - self._net[1]) / _MIB / elapsed
        self._net = net


class SystemSampler:
    """Samples every ``interval`` seconds on its own thread until :meth:`stop`."""

    def __init__(self, emit: Emit, interval: float, disk_dir: Path, machine: bool) -> None:
        self._emit = emit
        self._interval = interval
        self._disk_dir = disk_dir
        self._machine_wide = machine
        self._stop = threading.Event()
        self._process: Any = None
        self._machine: _Machine | None = None
        self._gpus: Gpus | None = None
        self._last = 0.0
        self._written = 0
        self._thread = threading.Thread(target=self._run, name="trailmark-system", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _open(self) -> bool:
        try:
            import psutil
        except ImportError:
            warnings.warn(
                "trailmark: system metrics need psutil: pip install psutil "
                "(or turn them off with init(system_interval=0))",
                stacklevel=1,
            )
            return False
        self._process = psutil.Process()
        self._process.cpu_percent(None)
        if self._machine_wide:
            self._machine = _Machine(psutil, self._disk_dir)
            self._gpus = Gpus.open()
        self._last = time.monotonic()
        return True

    def sample(self) -> dict[str, float]:
        """One sample: ``{"system/...": value}``."""
        out: dict[str, float] = {}
        process = self._process
        with process.oneshot():
            out["system/proc.cpu.util"] = float(process.cpu_percent(None))
            out["system/proc.mem.rss_mib"] = process.memory_info().rss / _MIB
        if self._machine is not None:
            self._machine.sample(out)
        if self._gpus is not None:
            self._gpus.sample(out)
        self._last = time.monotonic()
        return out

    def _write_sample(self) -> None:
        self._emit({"t": rec.SYSTEM, "w": time.time(), "d": self.sample()})
        self._written += 1

    def _run(self) -> None:
        try:
            if not self._open():
                return
            while not self._stop.wait(self._interval):
                self._write_sample()
        except Exception as exc:  # never let a sampling problem reach the training loop
            warnings.warn(f"trailmark: system metrics stopped: {exc}", stacklevel=1)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop sampling, with a last sample (so even a run shorter than the interval has one)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        try:
            since = time.monotonic() - self._last
            if self._process is not None and (not self._written or since >= 1.0):
                self._write_sample()
        except Exception as exc:
            warnings.warn(f"trailmark: the last system sample failed: {exc}", stacklevel=2)
        finally:
            if self._gpus is not None:
                self._gpus.close()
                self._gpus = None
