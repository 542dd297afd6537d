"""The client's public names, and that ``import trailmark`` does not pay for it."""

from __future__ import annotations

import subprocess
import sys

import trailmark.client


def test_all_is_sorted_and_resolves() -> None:
    names = trailmark.client.__all__
    # Sorted as ruff's RUF022 keeps it: constants, then classes, then functions.
    assert names == sorted(names, key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    for name in names:
        getattr(trailmark.client, name)


def test_import_trailmark_loads_no_http_client() -> None:
    code = (
        "import sys, trailmark; "
        "print(sorted(m for m in ('trailmark.client', 'http.client', 'ssl') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
