"""Concurrent creates through one store, each caller on its own connection (both databases).

Threads released together by a barrier, round after round: a create that loses a race
says the thing exists (:class:`Conflict`), one that only needs the thing to exist finds the
winner's, and numbering never loses or doubles a version. No caller ever sees the
database's ``IntegrityError``. The same races across two server processes:
``tests/reliability/test_races.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import pytest
from sqlalchemy.exc import IntegrityError

from tests.store.artifact_helpers import files
from trailmark.errors import Conflict, Unavailable
from trailmark.store.ingest import Envelope
from trailmark.store.races import race_conflict
from trailmark.store.store import Store

ROUNDS = 6
RACERS = 6

T = TypeVar("T")


def race(calls: list[Callable[[], T]]) -> list[T | Exception]:
    """Run ``calls`` at once (each on a thread, released together); each one's result or error."""
    barrier = threading.Barrier(len(calls))

    def call(index: int) -> T | Exception:
        barrier.wait()
        try:
            return calls[index]()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(call, range(len(calls))))


def one_wins(outcomes: list[Any]) -> None:
    """Exactly one outcome is a result; every other one is a Conflict."""
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(e, Conflict) for e in errors), errors
    assert len(errors) == len(outcomes) - 1, outcomes


def test_create_project_and_run_of_one_name(store: Store) -> None:
    for round_ in range(ROUNDS):
        one_wins(race([partial(store.runs.create_project, f"p{round_}")] * RACERS))
        one_wins(race([partial(store.runs.create_run, "shared", {"id": f"r{round_}"})] * RACERS))
    assert len(store.runs.list_projects()) == ROUNDS + 1


def test_registered_model_create_of_one_name(store: Store) -> None:
    for round_ in range(ROUNDS):
        one_wins(race([partial(store.registry.create_model, f"m{round_}")] * RACERS))
    assert len(store.registry.list_models()) == ROUNDS


def test_first_versions_of_a_new_model_are_numbered_once_each(store: Store) -> None:
    store.run_files.add("p", "trained", [e.to_json() for e in files(store, model__w=b"w")])
    for round_ in range(ROUNDS):
        create = partial(store.registry.create_version, f"fresh{round_}", "runs/trained/model")
        outcomes = race([create] * RACERS)
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        numbers = sorted(int(o["version"]) for o in outcomes if isinstance(o, dict))
        assert numbers == list(range(1, RACERS + 1))


def first_batch(store: Store, run: str, project: str, rank: int) -> Any:
    envelope = Envelope(run_id=run, project=project, writer=f"w{rank}", rank=rank)
    records = [
        {"t": "run", "q": 1, "name": "racing"},
        {"t": "m", "q": 2, "s": 0, "w": 1.0, "d": {"loss": float(rank)}},
    ]
    return store.ingestor.ingest_many([(envelope, records)])[0]


def test_first_batches_of_one_run_and_its_files_arrive_at_once(store: Store) -> None:
    entries = [e.to_json() for e in files(store, early=b"file before the first batch")]
    for round_ in range(ROUNDS):
        run, project = f"job{round_}", f"proj{round_}"
        calls: list[Callable[[], Any]] = [
            partial(first_batch, store, run, project, rank) for rank in range(RACERS - 1)
        ]
        calls.append(partial(store.run_files.add, project, run, entries))
        outcomes = race(calls)
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        assert store.runs.get_run(project, run)["name"] == "racing"
        keys = {s["key"] for s in store.metrics.keys(run)}
        assert keys == {"loss", *(f"loss@rank{r}" for r in range(1, RACERS - 1))}


def test_mlflow_experiment_and_run_create_of_one_name(store: Store) -> None:
    experiments = store.mlflow.experiments
    for round_ in range(ROUNDS):
        one_wins(race([partial(experiments.create, f"e{round_}", {})] * RACERS))
        pid = experiments.by_name(f"e{round_}").project_id
        create = partial(store.mlflow.runs.create, pid, f"m{round_}", name="n", created_at=0.0)
        one_wins(race([partial(create, tags={})] * RACERS))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_lost_unique_key_is_a_conflict_that_names_no_values(store: Store) -> None:
    store.runs.create_project("secret-name")
    with pytest.raises(IntegrityError) as raised, store.db.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO projects (name, description, created_at, updated_at) "
            "VALUES ('secret-name', '', 0, 0)"
        )
    conflict = race_conflict(raised.value)
    assert isinstance(conflict, Conflict) and conflict.status == 409
    assert "projects.name" in conflict.message and "secret-name" not in conflict.message
    assert race_conflict(ValueError("x")) is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_batch_that_loses_twice_is_a_temporary_failure_the_sender_retries(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest is idempotent: a batch that loses its race again is answered 503 (the sender
    sends it again), not 409 (which the sender would set aside for good)."""
    from trailmark.store import ingest

    real = ingest._apply_group
    losing = {"on": True}

    def loses(*args: Any, **kwargs: Any) -> Any:
        if losing["on"]:
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "_apply_group", loses)
    outcome = first_batch(store, "job", "proj", 0)  # the store's outcome, raised by its caller
    assert isinstance(outcome, Unavailable) and outcome.status == 503, outcome
    losing["on"] = False
    first_batch(store, "job", "proj", 0)  # the sender's next try is stored
    assert {s["key"] for s in store.metrics.keys("job")} == {"loss"}
