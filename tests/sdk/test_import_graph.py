"""The SDK's modules import each other without a cycle, counting imports inside functions.

A cycle hidden in a function-level import still ties the modules together (one cannot be
understood, tested or moved without the other): the local ingest package was untangled from
one (worker -> transports -> ingest service -> worker). Imports under ``TYPE_CHECKING`` are
left out: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import trailmark

PACKAGE = Path(trailmark.__file__).parent
SDK = "trailmark.sdk"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported(tree: ast.AST, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``tree`` imports, wherever the import statement is."""
    found: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _type_checking_only(node):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    return {name for name in found if name in known}


def sdk_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in (PACKAGE / "sdk").rglob("*.py")}
    known = set(files)
    return {
        name: imported(ast.parse(path.read_text()), known) - {name} for name, path in files.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (as the list of modules around it), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_the_sdk_has_no_import_cycle() -> None:
    graph = sdk_graph()
    assert f"{SDK}.local_ingest.worker" in graph  # the walk found the subpackage
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_transports_import_nothing_of_local_ingest() -> None:
    graph = sdk_graph()
    assert not {m for m in graph[f"{SDK}.transports"] if m.startswith(f"{SDK}.local_ingest")}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
