"""NVIDIA GPUs through NVML (``pip install trailmark[gpu]`` installs ``nvidia-ml-py``).

``pynvml`` is imported only here, from a background thread. No package, no driver or no GPU
means no GPU metrics, silently: that is the normal case on most machines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

_MIB = 1024 * 1024


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Gpus:
    """The GPUs of this machine, open for sampling until :meth:`close`."""

    def __init__(self, nvml: Any, handles: list[Any]) -> None:
        self._nvml = nvml
        self._handles = handles
        self._unsupported: set[tuple[int, str]] = set()

    @classmethod
    def open(cls) -> Gpus | None:
        """The machine's GPUs, or ``None`` when there is no NVML, driver or GPU."""
        try:
            import pynvml
        except ImportError:
            return None
        try:
            pynvml.nvmlInit()
        except Exception:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...: no GPU here
            return None
        try:
            count = int(pynvml.nvmlDeviceGetCount())
            handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except Exception:
            count, handles = 0, []
        if not handles:
            with contextlib.suppress(Exception):
                pynvml.nvmlShutdown()
            return None
        return cls(pynvml, handles)

    def __len__(self) -> int:
        return len(self._handles)

    def _read(self, index: int, what: str, read: Callable[[], float]) -> float | None:
        if (index, what) in self._unsupported:
            return None
        try:
            return float(read())
        except Exception:  # not supported on this GPU (power on some boards, say): stop asking
            self._unsupported.add((index, what))
            return None

    def sample(self, out: dict[str, float]) -> None:
        """Add ``system/gpu.<i>.*`` values: utilisation, memory, temperature, power."""
        nvml = self._nvml
        for index, handle in enumerate(self._handles):
            prefix = f"system/gpu.{index}."
            memory: Any = None
            with contextlib.suppress(Exception):
                memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            readings = {
                "util": lambda h=handle: nvml.nvmlDeviceGetUtilizationRates(h).gpu,
                "temp_c": lambda h=handle: nvml.nvmlDeviceGetTemperature(
                    h, nvml.NVML_TEMPERATURE_GPU
                ),
                "power_w": lambda h=handle: nvml.nvmlDeviceGetPowerUsage(h) / 1000.0,
            }
            for what, read in readings.items():
                value = self._read(index, what, read)
                if value is not None:
                    out[prefix + what] = value
            if memory is not None and memory.total:
                out[prefix + "mem.used_mib"] = memory.used / _MIB
                out[prefix + "mem.util"] = 100.0 * memory.used / memory.total

    def describe(self) -> dict[str, Any]:
        """Models, memory, driver and CUDA version, for the run's metadata."""
        nvml = self._nvml
        devices: list[dict[str, Any]] = []
        for index, handle in enumerate(self._handles):
            device: dict[str, Any] = {"index": index}
            with contextlib.suppress(Exception):
                device["name"] = _text(nvml.nvmlDeviceGetName(handle))
            with contextlib.suppress(Exception):
                device["memory_mib"] = round(nvml.nvmlDeviceGetMemoryInfo(handle).total / _MIB)
            devices.append(device)
        info: dict[str, Any] = {"gpus": devices}
        with contextlib.suppress(Exception):
            info["gpu_driver"] = _text(nvml.nvmlSystemGetDriverVersion())
        with contextlib.suppress(Exception):
            version = int(nvml.nvmlSystemGetCudaDriverVersion())
            info["cuda_driver"] = f"{version // 1000}.{version % 1000 // 10}"
        return info

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._nvml.nvmlShutdown()
