"""Docs that restate code are generated from it; a stale copy fails here (run `make docs`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

from trailmark.docs_gen import DOCS, GENERATED
from trailmark.server.settings import SERVER_SETTINGS
from trailmark.settings import CLIENT_SETTINGS, OTHER_VARIABLES, SYNC_SETTINGS

SOURCE = Path(__file__).resolve().parents[1] / "src" / "trailmark"
EVERY_SETTING = (*CLIENT_SETTINGS, *SERVER_SETTINGS, *SYNC_SETTINGS)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_doc_is_current(name: str) -> None:
    assert (DOCS / name).read_text() == GENERATED[name](), f"docs/{name} is stale: run `make docs`"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text()
    for setting in EVERY_SETTING:
        assert f"`{setting.env}`" in text and setting.help


def test_every_trailmark_variable_the_code_names_is_a_declared_setting() -> None:
    declared = {s.env for s in EVERY_SETTING}
    named = {
        (name, path.relative_to(SOURCE).as_posix())
        for path in SOURCE.rglob("*.py")
        for name in re.findall(r"\bTRAILMARK_[A-Z][A-Z0-9_]*", path.read_text())
    }
    undeclared = sorted(f"{name} ({where})" for name, where in named if name not in declared)
    assert not undeclared, f"declare these as settings (trailmark.settings): {undeclared}"


def _options(command: click.Command) -> list[click.Parameter]:
    found = list(command.params)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            found += _options(sub)
    return found


def test_every_option_read_from_the_environment_is_a_declared_setting() -> None:
    from trailmark.cli.main import main

    declared = {s.env: s for s in EVERY_SETTING}
    for param in _options(main):
        for env in [param.envvar] if isinstance(param.envvar, str) else param.envvar or []:
            assert env in declared, f"{param.name}: {env} is not a declared setting"
            assert param.name == declared[env].name, f"{env} is --{declared[env].name}"


def _reads_environment(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id in ("environ", "env")) or (
        isinstance(node, ast.Attribute) and node.attr == "environ"
    )


def _variables_read(tree: ast.AST) -> set[str]:
    """Names in ``environ.get("X")``, ``environ["X"]``, ``getenv("X")`` and helpers called
    with the environment (``_int(environ, "RANK")``)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        constants: list[ast.expr] = []
        if isinstance(node, ast.Call):
            func = node.func
            if (
                (
                    (isinstance(func, ast.Attribute) and func.attr == "get")
                    and _reads_environment(func.value)
                )
                or (isinstance(func, ast.Attribute | ast.Name) and "getenv" in ast.unparse(func))
                or any(_reads_environment(arg) for arg in node.args)
            ):
                constants = node.args
        elif isinstance(node, ast.Subscript) and _reads_environment(node.value):
            constants = [node.slice]
        found |= {
            c.value
            for c in constants
            if isinstance(c, ast.Constant)
            and isinstance(c.value, str)
            and re.fullmatch(r"[A-Z][A-Z0-9_]+", c.value)
        }
    return found


def test_every_variable_the_code_reads_is_documented() -> None:
    known = {s.env for s in EVERY_SETTING} | {n for v in OTHER_VARIABLES for n in v.names}
    text = (DOCS / "settings.md").read_text()
    read = {
        (name, path.relative_to(SOURCE).as_posix())
        for path in SOURCE.rglob("*.py")
        for name in _variables_read(ast.parse(path.read_text()))
    }
    assert {name for name, _ in read} >= {"TRAILMARK_URL", "RANK", "XDG_RUNTIME_DIR"}
    unknown = sorted(f"{name} ({where})" for name, where in read if name not in known)
    assert not unknown, f"declare these (trailmark.settings): {unknown}"
    assert all(f"`{name}`" in text for name in known)
