"""The layering rules of DESIGN.md, read from the source: who may import whom, and no cycles.

Every ``import`` counts, at module level or inside a function (a lazy import is still a
dependency: it only moves when the cost is paid), except those under ``if TYPE_CHECKING``.
An import of ``a.b.c`` is an edge to ``a.b.c`` only: the packages above it are imported by
Python on the way and are not dependencies of the importer's design.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "trailmark"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for inner in ast.walk(node))
    return skipped


def _imported_names(name: str, path: Path) -> Iterator[str]:
    """Every module name ``name`` imports (ours and third parties'), at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    modules = _modules()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                if path.name != "__init__.py":
                    base.pop()
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            submodules = [f"{source}.{a.name}" for a in node.names]
            found = [m for m in submodules if m in modules]
            yield from found
            if len(found) < len(submodules):
                yield source


@cache
def _graph() -> dict[str, frozenset[str]]:
    """Our modules and the modules of ours each imports (ancestor packages left out)."""
    modules = _modules()
    return {
        name: frozenset(
            target
            for target in _imported_names(name, path)
            if target in modules and target != name and not name.startswith(target + ".")
        )
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            advanced = False
            for target in targets:
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert _cycles(dict(_graph())) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {
        "a": frozenset({"b"}),
        "b": frozenset({"c"}),
        "c": frozenset({"a"}),
        "d": frozenset({"a"}),
    }
    assert _cycles(graph) == [["a", "b", "c"]]


def _in(layer: str, name: str) -> bool:
    return name == layer or name.startswith(layer + ".")


# (importing layer, forbidden prefixes, why)
RULES: list[tuple[str, tuple[str, ...], str]] = [
    (
        "trailmark.sdk",
        ("trailmark.server", "trailmark.cli", "fastapi", "starlette", "uvicorn"),
        "the SDK never imports the server",
    ),
    (
        "trailmark.sdk.transports",
        ("trailmark.sdk.local_ingest",),
        "the transports the sender chooses from know nothing of the local ingest service",
    ),
    (
        "trailmark.store",
        ("trailmark.server", "trailmark.sdk", "trailmark.cli", "fastapi", "starlette"),
        "the store never imports the web layer or the SDK",
    ),
    (
        "trailmark.server",
        ("sqlalchemy", "psycopg", "sqlite3", "boto3", "trailmark.sdk", "trailmark.cli"),
        "the server reaches data only through the store and blobs",
    ),
    (
        "trailmark.blobs",
        ("trailmark.store", "trailmark.server", "trailmark.sdk", "trailmark.cli"),
        "blob stores know nothing of the rest",
    ),
    (
        "trailmark.client",
        ("trailmark.store", "trailmark.server", "trailmark.sdk", "trailmark.cli", "sqlalchemy"),
        "the HTTP client stays light: standard library and our errors",
    ),
    (
        "trailmark.views",
        ("trailmark.store", "trailmark.server", "trailmark.sdk", "trailmark.cli", "sqlalchemy"),
        "view models are the contract, free of every layer",
    ),
    (
        "trailmark.mlflow_api",
        ("fastapi", "starlette", "uvicorn", "trailmark.server", "trailmark.cli", "trailmark.sdk"),
        "MLflow's handlers are plain functions over the store, shared by routes and importer",
    ),
    (
        "trailmark.mlflow_import",
        ("fastapi", "starlette", "uvicorn"),
        "the importer calls the MLflow handlers without the web framework",
    ),
]


def _violations(layer: str, forbidden: tuple[str, ...], modules: dict[str, Path]) -> list[str]:
    return sorted(
        f"{name} imports {target}"
        for name, path in modules.items()
        if _in(layer, name)
        for target in set(_imported_names(name, path))
        if any(_in(prefix, target) for prefix in forbidden)
    )


@pytest.mark.parametrize(("layer", "forbidden", "why"), RULES, ids=[r[0] for r in RULES])
def test_layering_rule(layer: str, forbidden: tuple[str, ...], why: str) -> None:
    assert _violations(layer, forbidden, _modules()) == [], why


def test_the_rules_see_a_lazy_violation_but_not_a_type_only_import(tmp_path: Path) -> None:
    module = tmp_path / "fake.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from trailmark.server.settings import ServerSettings\n"
        "def lazy() -> None:\n"
        "    from trailmark.server import app\n"
    )
    sdk_rule = RULES[0]
    found = _violations(sdk_rule[0], sdk_rule[1], {"trailmark.sdk.fake": module})
    assert found == ["trailmark.sdk.fake imports trailmark.server.app"]
