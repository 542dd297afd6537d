"""Docs that restate code are generated from it; a stale copy fails here (run `make docs`)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from trailmark.docs_gen import DOCS, GENERATED
from trailmark.server.settings import SERVER_SETTINGS
from trailmark.settings import CLIENT_SETTINGS, SYNC_SETTINGS

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
