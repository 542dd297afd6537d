"""The README stays true to the tree: its Layout table names every package, and nothing it
links to is missing or outside the repository (a fresh clone has no ``../shared``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _layout_section() -> str:
    start = README.index("## Layout")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def _layout_paths() -> list[str]:
    rows = [line for line in _layout_section().splitlines() if line.startswith("| `")]
    return [re.findall(r"`([^`]+)`", row.split("|")[1])[0] for row in rows]


def test_every_local_link_exists_inside_the_repository() -> None:
    for target in LINK.findall(README):
        if "://" in target or target.startswith("mailto:"):
            continue
        path = (ROOT / target).resolve()
        assert path.is_relative_to(ROOT), f"README links outside the repository: {target}"
        assert path.exists(), f"README links to a missing file: {target}"


def test_the_layout_table_names_existing_paths() -> None:
    paths = _layout_paths()
    assert paths, "the Layout table lost its rows"
    for path in paths:
        assert (ROOT / path).exists(), f"Layout names {path}, which does not exist"


def test_the_layout_table_names_every_package() -> None:
    named = set(_layout_paths())
    package = ROOT / "src" / "trailmark"
    for sub in sorted(p for p in package.iterdir() if (p / "__init__.py").exists()):
        relative = f"{sub.relative_to(ROOT)}/"
        assert relative in named, f"Layout does not describe {relative}"
