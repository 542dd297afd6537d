"""The server keeps its long-lived objects out of the garbage collector's full collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from trailmark import collector
from trailmark.server.app import create_app
from trailmark.server.settings import ServerSettings


@pytest.fixture(autouse=True)
def collector_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from Python's defaults and leaves them as it found them."""
    threshold = gc.get_threshold()
    monkeypatch.setattr(collector, "_frozen_warm", False)
    monkeypatch.setattr(collector, "_tuned", False)
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def _serve(tmp_path: Path, dedicated: bool) -> None:
    settings = ServerSettings(data_dir=tmp_path, dedicated_process=dedicated)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200


def test_trailmark_server_freezes_what_it_holds_and_collects_young_objects_less_often(
    tmp_path: Path,
) -> None:
    _serve(tmp_path, dedicated=True)
    assert gc.get_freeze_count() > 10_000, "the app's modules, routes and tables are frozen"
    assert gc.get_threshold()[0] >= collector.YOUNG_THRESHOLD


def test_an_app_embedded_in_another_process_leaves_its_collector_alone(tmp_path: Path) -> None:
    threshold = gc.get_threshold()
    _serve(tmp_path, dedicated=False)
    collector.freeze_once_warm(collector.WARM_AFTER_GROUPS)
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == threshold


def test_the_second_freeze_comes_once_after_the_first_groups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collector.freeze_startup_objects()
    gc.unfreeze()
    freezes: list[int] = []
    real_freeze = gc.freeze

    def counted() -> None:
        freezes.append(1)
        real_freeze()

    # Counted, not read off gc.get_freeze_count(): frozen objects other threads free make
    # that count fall at any moment.
    monkeypatch.setattr(collector.gc, "freeze", counted)
    collector.freeze_once_warm(collector.WARM_AFTER_GROUPS - 1)
    assert gc.get_freeze_count() == 0 and not freezes
    collector.freeze_once_warm(collector.WARM_AFTER_GROUPS)
    assert gc.get_freeze_count() > 0 and len(freezes) == 1
    collector.freeze_once_warm(collector.WARM_AFTER_GROUPS + 1)
    assert len(freezes) == 1, "once only"


def test_frozen_objects_are_still_freed_when_their_last_reference_goes() -> None:
    import weakref

    class Thing:
        pass

    thing = Thing()
    ref = weakref.ref(thing)
    collector.freeze_startup_objects()
    del thing
    assert ref() is None
