"""The public surface is exactly ``__all__``, sorted, and every name resolves."""

from __future__ import annotations

import subprocess
import sys

import trailmark


def test_all_is_sorted_and_resolves() -> None:
    assert trailmark.__all__ == sorted(
        trailmark.__all__, key=str.lower
    ) or trailmark.__all__ == sorted(trailmark.__all__)
    for name in trailmark.__all__:
        if name not in ("config", "summary"):  # these need an active run
            getattr(trailmark, name)


def test_import_does_not_load_the_store_or_numpy() -> None:
    code = "import sys, trailmark; print(sorted(m for m in ('sqlalchemy', 'numpy', 'fastapi', 'psutil', 'pynvml') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
