"""System metrics: what a sample holds, GPUs through NVML when there are some, nothing when not."""

from __future__ import annotations

import sys
import time
import types
import warnings
from pathlib import Path
from typing import Any

import pytest

from tests.support import wait_for
from trailmark.sdk.capture.gpu import Gpus
from trailmark.sdk.capture.system import SystemSampler

MACHINE_KEYS = {
    "system/cpu.util",
    "system/mem.used_mib",
    "system/mem.available_mib",
    "system/mem.util",
    "system/disk.util",
    "system/disk.free_gib",
    "system/net.sent_mib_s",
    "system/net.recv_mib_s",
}
PROCESS_KEYS = {"system/proc.cpu.util", "system/proc.mem.rss_mib"}


def opened(tmp_path: Path, machine: bool = True) -> SystemSampler:
    sampler = SystemSampler(lambda record: None, 1.0, tmp_path, machine=machine)
    assert sampler._open()
    return sampler


def test_a_sample_of_the_machine_and_the_process(tmp_path: Path) -> None:
    sampler = opened(tmp_path)
    sample = sampler.sample()
    assert set(sample) >= PROCESS_KEYS | MACHINE_KEYS
    assert all(isinstance(v, float) for v in sample.values())
    assert 0 < sample["system/proc.mem.rss_mib"] < 100_000
    assert 0 <= sample["system/mem.util"] <= 100


def test_other_local_ranks_record_only_their_process(tmp_path: Path) -> None:
    assert set(opened(tmp_path, machine=False).sample()) == PROCESS_KEYS


def test_samples_are_written_on_the_interval_and_once_more_at_stop(tmp_path: Path) -> None:
    records: list[dict[str, Any]] = []
    sampler = SystemSampler(records.append, 1.0, tmp_path, machine=True)
    sampler.start()
    wait_for(lambda: records, 10, "a system sample")
    sampler.stop()
    assert records and all(r["t"] == "sys" and set(r) == {"t", "w", "d"} for r in records)
    assert all(k.startswith("system/") for r in records for k in r["d"])


def test_sampling_costs_well_under_a_millisecond(tmp_path: Path) -> None:
    sampler = opened(tmp_path)
    sampler.sample()
    started = time.process_time()
    for _ in range(50):
        sampler.sample()
    per_sample = (time.process_time() - started) / 50
    assert per_sample < 0.005, f"{per_sample * 1e3:.2f} ms of CPU per sample"


class FakeNvml(types.ModuleType):
    """The slice of pynvml the sampler uses: two GPUs, the second without power readings."""

    NVML_TEMPERATURE_GPU = 0

    def __init__(self) -> None:
        super().__init__("pynvml")
        self.shut = False

    def nvmlInit(self) -> None: ...
    def nvmlShutdown(self) -> None:
        self.shut = True

    def nvmlDeviceGetCount(self) -> int:
        return 2

    def nvmlDeviceGetHandleByIndex(self, i: int) -> int:
        return i

    def nvmlDeviceGetUtilizationRates(self, h: int) -> Any:
        return types.SimpleNamespace(gpu=50 + h)

    def nvmlDeviceGetMemoryInfo(self, h: int) -> Any:
        return types.SimpleNamespace(used=1024**3, total=4 * 1024**3)

    def nvmlDeviceGetTemperature(self, h: int, sensor: int) -> int:
        return 60

    def nvmlDeviceGetPowerUsage(self, h: int) -> int:
        if h == 1:
            raise RuntimeError("not supported")
        return 150_000

    def nvmlDeviceGetName(self, h: int) -> bytes:
        return b"Fake GPU"

    def nvmlSystemGetDriverVersion(self) -> str:
        return "550.54"

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        return 12040


def test_gpus_are_sampled_per_index(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeNvml()
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    gpus = Gpus.open()
    assert gpus is not None and len(gpus) == 2
    sample: dict[str, float] = {}
    gpus.sample(sample)
    assert sample == {
        "system/gpu.0.util": 50.0,
        "system/gpu.0.temp_c": 60.0,
        "system/gpu.0.power_w": 150.0,
        "system/gpu.0.mem.used_mib": 1024.0,
        "system/gpu.0.mem.util": 25.0,
        "system/gpu.1.util": 51.0,
        "system/gpu.1.temp_c": 60.0,
        "system/gpu.1.mem.used_mib": 1024.0,
        "system/gpu.1.mem.util": 25.0,
    }
    assert gpus.describe() == {
        "gpus": [
            {"index": 0, "name": "Fake GPU", "memory_mib": 4096},
            {"index": 1, "name": "Fake GPU", "memory_mib": 4096},
        ],
        "gpu_driver": "550.54",
        "cuda_driver": "12.4",
    }
    gpus.close()
    assert fake.shut


def test_no_gpu_no_driver_no_package_means_no_gpu_metrics_and_no_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class NoDriver(FakeNvml):
        def nvmlInit(self) -> None:
            raise OSError("NVML Shared Library Not Found")

    class NoGpu(FakeNvml):
        def nvmlDeviceGetCount(self) -> int:
            return 0

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for module in (NoDriver(), NoGpu(), None):  # None: the package is not installed
            monkeypatch.setitem(sys.modules, "pynvml", module)
            assert Gpus.open() is None
