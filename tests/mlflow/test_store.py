"""The MLflow storage layer on SQLite and PostgreSQL: params ↔ config, searches, lifecycle."""

from __future__ import annotations

import math
from typing import Any

import pytest

from trailmark.errors import Conflict, InvalidInput, NotFound
from trailmark.store.database import Database
from trailmark.store.mlflow.conventions import (
    ACTIVE_ONLY,
    ALL,
    DELETED_ONLY,
    params_view,
    parse_param,
    render_param,
    set_param,
)
from trailmark.store.mlflow.experiments import ExperimentStore
from trailmark.store.mlflow.metrics import MetricPoint
from trailmark.store.mlflow.runs import MlflowRunStore, RunLog
from trailmark.store.mlflow.search import run_filter_sql, run_order_sql
from trailmark.store.mlflow.search_filter import check_run_filter, parse_filter, parse_order_by
from trailmark.store.runs import RunStore


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("-2", -2),
        ("0.5", 0.5),
        ("1e-3", 0.001),
        ("True", True),
        ("false", False),
        ("None", None),
        ("adam", "adam"),
        ("nan", "nan"),
        ("1e999", "1e999"),
        ("", ""),
    ],
)
def test_param_parsing(text: str, value: Any) -> None:
    assert parse_param(text) == value


def test_params_round_trip_through_config() -> None:
    config: dict[str, Any] = {"model": {"layers": 4}, "lr": 0.001, "flag": True, "sizes": [1, 2]}
    assert params_view(config, {}) == {
        "model.layers": "4",
        "lr": "0.001",
        "flag": "True",
        "sizes": "[1, 2]",
    }
    assert set_param(config, "model.act", "relu") and config["model"]["act"] == "relu"
    assert set_param(config, "lr.warmup", 5) and config["lr.warmup"] == 5  # lr is a number
    assert not set_param(config, "model", "x")  # a non-empty section is not overwritten
    assert render_param(None) == "None" and render_param(2.5) == "2.5"
    verbatim = {"mlflow": {"params": {"eps": "1e-8", "model": "x"}}}
    view = params_view({"eps": 1e-8, "model": {"act": "relu"}}, verbatim)
    assert view["eps"] == "1e-8" and view["model"] == "x" and view["model.act"] == "relu"


def _search(
    db: Database,
    project_id: int,
    text: str,
    order: list[str] | None = None,
    view: str = ACTIVE_ONLY,
) -> list[str]:
    where = run_filter_sql(check_run_filter(parse_filter(text)), db.dialect)
    orders = run_order_sql([parse_order_by(o) for o in order or []], db.dialect)
    found = MlflowRunStore(db).search([project_id], where, orders, view, 100, 0)
    return [str(r.view["name"]) for r in found]


def test_searches_compile_to_sql(database: Database) -> None:
    db = database
    exp = ExperimentStore(db).create("search", {"team": "x"})
    store = MlflowRunStore(db)
    for i, (opt, lr) in enumerate([("Adam", "0.1"), ("adam", "1e-2"), ("sgd", "0.001")]):
        run = store.create(
            exp.project_id, f"r{i}" * 16, name=f"run-{i}", created_at=100.0 + i, tags={"k": f"v{i}"}
        )
        points = [MetricPoint("loss", 1.0 / (i + 1), 200.0 + s, s) for s in range(3)]
        store.log(str(run.view["id"]), RunLog(metrics=points, params={"opt": opt, "lr": lr}))
    store.update("r2" * 16, state="failed", ended_at=150.0, name=None)
    # a native run: config only, no verbatim params
    RunStore(db).create_run(
        "search", {"id": "native1", "name": "native", "config": {"opt": "adam", "lr": 0.01}}
    )

    assert _search(db, exp.project_id, "params.opt = 'adam'") == ["native", "run-1"]
    assert _search(db, exp.project_id, "params.opt LIKE 'a%'") == ["native", "run-1"]
    assert _search(db, exp.project_id, "params.opt ILIKE 'a%'") == ["native", "run-1", "run-0"]
    assert _search(db, exp.project_id, "params.lr = '0.01'") == ["native"]  # typed, for config
    assert _search(db, exp.project_id, "params.lr = '1e-2'") == ["run-1"]  # verbatim string
    assert _search(db, exp.project_id, "params.lr != '0.1'") == ["native", "run-2", "run-1"]
    assert _search(db, exp.project_id, "params.missing IS NULL", ["start_time ASC"])[0] == "run-0"
    assert _search(db, exp.project_id, "metrics.loss < 0.6") == ["run-2", "run-1"]
    assert _search(db, exp.project_id, "metrics.loss < 0.6", ["metrics.loss ASC"]) == [
        "run-2",
        "run-1",
    ]
    assert _search(db, exp.project_id, "attributes.status = 'FAILED'") == ["run-2"]
    assert _search(db, exp.project_id, "attributes.status IN ('RUNNING')") == [
        "native",
        "run-1",
        "run-0",
    ]
    assert _search(db, exp.project_id, "tags.k = 'v1' and tags.mlflow.runName = 'run-1'") == [
        "run-1"
    ]
    assert _search(
        db, exp.project_id, "attributes.start_time >= 101000 and attributes.start_time < 102000"
    ) == ["run-1"]
    assert _search(db, exp.project_id, "attributes.end_time > 0") == ["run-2"]
    assert _search(db, exp.project_id, "", ["metrics.loss DESC"]) == [
        "run-0",
        "run-1",
        "run-2",
        "native",
    ]
    assert _search(db, exp.project_id, "", ["params.opt ASC"])[0] == "run-0"  # "Adam" < "adam"

    store.set_deleted("r1" * 16, True)
    assert "run-1" not in _search(db, exp.project_id, "")
    assert _search(db, exp.project_id, "", view=DELETED_ONLY) == ["run-1"]
    assert len(_search(db, exp.project_id, "", view=ALL)) == 4
    assert "run-1" not in [r["name"] for r in RunStore(db).search_runs("search")[0]]


def test_metric_points_are_kept_once_and_latest_is_by_step(database: Database) -> None:
    exp = ExperimentStore(database).create("points", {})
    store = MlflowRunStore(database)
    run_id = "a" * 32
    store.create(exp.project_id, run_id, name="r", created_at=1.0, tags={})
    late = [MetricPoint("m", 4.0, 10.0, 4), MetricPoint("m", math.nan, 10.0, 5)]
    early = [MetricPoint("m", float(s), 5.0 + s, s) for s in range(4)]
    for batch in (late, early, late, early + late):
        store.log(run_id, RunLog(metrics=batch))
    points = store.history(run_id, "m")
    assert points.steps.tolist() == [0, 1, 2, 3, 4, 5]
    latest = store.get(run_id).metrics["m"]
    assert latest.step == 5 and math.isnan(latest.value)


def test_experiments_lifecycle(database: Database) -> None:
    experiments = ExperimentStore(database)
    assert experiments.by_id("0").name == "Default"
    exp = experiments.create("life", {"mlflow.note.content": "about", "a": "b"})
    assert exp.tags == {"a": "b", "mlflow.note.content": "about"}
    with pytest.raises(Conflict):
        experiments.create("life", {})
    experiments.set_deleted(exp.experiment_id, True)
    assert "life" not in [p["name"] for p in RunStore(database).list_projects()]
    with pytest.raises(NotFound):
        RunStore(database).get_project("life")
    with pytest.raises(InvalidInput):
        experiments.set_tag(exp.experiment_id, "c", "d")
    experiments.set_deleted(exp.experiment_id, False)
    experiments.rename(exp.experiment_id, "life2")
    assert experiments.by_name("life2").project_id == exp.project_id
    with pytest.raises(InvalidInput):
        experiments.set_deleted("0", True)
    with pytest.raises(NotFound):
        experiments.by_id("12345")


def test_migration_0004_upgrades_an_older_database(database: Database) -> None:
    from sqlalchemy import delete, inspect, text

    from trailmark.store.migrations import migrate
    from trailmark.store.runs import ensure_project, new_run_row
    from trailmark.store.schema import migrations_table, runs

    with database.write() as conn:  # back to the schema before 0004
        conn.execute(text("DROP TABLE logged_model_metrics"))  # 0008 refers to logged_models
        conn.execute(
            delete(migrations_table).where(migrations_table.c.name == "0008_logged_model_metrics")
        )
        conn.execute(text("DROP TABLE logged_models"))
        conn.execute(text('ALTER TABLE projects DROP COLUMN "deleted_at"'))
        conn.execute(text('ALTER TABLE projects DROP COLUMN "properties"'))
        conn.execute(text('ALTER TABLE runs DROP COLUMN "deleted_at"'))
        conn.execute(delete(migrations_table).where(migrations_table.c.name == "0004_mlflow"))
        pid = ensure_project(conn, "old")  # rows written by the older code
        conn.execute(runs.insert().values(new_run_row("old1", pid)))
    assert migrate(database) == ["0004_mlflow", "0008_logged_model_metrics"]
    assert migrate(database) == []
    with database.read() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("projects")}
        assert {"deleted_at", "properties"} <= columns
        assert "logged_models" in inspect(conn).get_table_names()
    assert ExperimentStore(database).by_name("old").properties == {}
    assert [r["id"] for r in RunStore(database).search_runs("old")[0]] == ["old1"]
