"""Docs that restate code are generated from it; a stale copy fails here (run `make docs`)."""

from __future__ import annotations

import pytest

from trailmark.docs_gen import DOCS, GENERATED


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_doc_is_current(name: str) -> None:
    assert (DOCS / name).read_text() == GENERATED[name](), f"docs/{name} is stale: run `make docs`"


def test_every_setting_is_documented() -> None:
    from trailmark.server.settings import SERVER_SETTINGS
    from trailmark.settings import CLIENT_SETTINGS

    text = (DOCS / "settings.md").read_text()
    for setting in (*CLIENT_SETTINGS, *SERVER_SETTINGS):
        assert f"`{setting.env}`" in text and setting.help
