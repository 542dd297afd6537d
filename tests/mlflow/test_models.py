"""MLflow models on Trailmark: log_model (MLflow 3 logged models), the registry, autolog."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import numpy as np
import pytest

from tests.support import ServerProcess


def _data() -> tuple[Any, Any]:
    x = np.arange(20, dtype=float).reshape(-1, 2)
    y = 3 * x[:, 0] - x[:, 1] + 0.5
    return x, y


def test_log_register_alias_and_load(tracking: Any, experiment_name: str) -> None:
    import mlflow
    from mlflow.exceptions import MlflowException
    from sklearn.linear_model import LinearRegression

    x, y = _data()
    model = LinearRegression().fit(x, y)
    mlflow.set_experiment(experiment_name)
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.0)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            input_example=x[:2],
            pip_requirements=["scikit-learn"],
            serialization_format="cloudpickle",  # skops imports torch: 8 s
        )
    logged = tracking.get_logged_model(info.model_id)
    assert logged.status == "READY" and logged.source_run_id == run.info.run_id
    assert "MLmodel" in [f.path for f in mlflow.artifacts.list_artifacts(info.model_uri)]

    name = f"reg-{experiment_name}"
    version = mlflow.register_model(info.model_uri, name)
    assert version.version == "1" and version.run_id == run.info.run_id
    assert version.source == info.model_uri and version.status == "READY"
    tracking.set_registered_model_alias(name, "champion", version.version)
    assert tracking.get_model_version_by_alias(name, "champion").version == "1"

    loaded = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    np.testing.assert_allclose(loaded.predict(x), model.predict(x))
    again = mlflow.sklearn.load_model(f"models:/{name}/1")
    np.testing.assert_allclose(again.predict(x[:3]), model.predict(x[:3]))

    # A second version, stages, tags, search, rename, delete.
    second = mlflow.register_model(info.model_uri, name)
    assert second.version == "2"
    tracking.transition_model_version_stage(name, "2", "Production")
    tracking.set_model_version_tag(name, "2", "validated", "yes")
    tracking.set_registered_model_tag(name, "owner", "ana")
    tracking.update_model_version(name, "1", description="first")
    registered = tracking.get_registered_model(name)
    assert registered.tags == {"owner": "ana"} and registered.aliases == {"champion": "1"}
    latest = {v.current_stage: v.version for v in registered.latest_versions}
    assert latest == {"None": "1", "Production": "2"}
    assert [v.version for v in tracking.get_latest_versions(name, stages=["Production"])] == ["2"]
    found = tracking.search_model_versions(f"name = '{name}'")
    assert sorted(v.version for v in found) == ["1", "2"]
    assert tracking.get_model_version(name, "2").tags == {"validated": "yes"}
    assert tracking.get_model_version(name, "1").description == "first"
    assert [m.name for m in tracking.search_registered_models(f"name = '{name}'")] == [name]
    tracking.delete_registered_model_alias(name, "champion")
    tracking.delete_model_version(name, "1")
    assert [v.version for v in tracking.search_model_versions(f"name = '{name}'")] == ["2"]
    tracking.rename_registered_model(name, f"{name}-renamed")
    assert tracking.get_registered_model(f"{name}-renamed").latest_versions[0].version == "2"
    with pytest.raises(MlflowException) as caught:
        tracking.get_registered_model(name)
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    tracking.delete_registered_model(f"{name}-renamed")


def test_register_from_run_artifacts(tracking: Any, experiment_name: str, tmp_path: Any) -> None:
    import mlflow
    from sklearn.linear_model import LinearRegression

    x, y = _data()
    model = LinearRegression().fit(x, y)
    mlflow.set_experiment(experiment_name)
    with mlflow.start_run() as run:
        mlflow.sklearn.save_model(
            model,
            str(tmp_path / "saved"),
            pip_requirements=["scikit-learn"],
            serialization_format="cloudpickle",
        )
        mlflow.log_artifacts(str(tmp_path / "saved"), artifact_path="exported")
    name = f"runs-{experiment_name}"
    version = mlflow.register_model(f"runs:/{run.info.run_id}/exported", name)
    loaded = mlflow.pyfunc.load_model(f"models:/{name}/{version.version}")
    np.testing.assert_allclose(loaded.predict(x), model.predict(x))


def test_autolog_sklearn(server: ServerProcess, tracking: Any, experiment_name: str) -> None:
    import mlflow
    from sklearn.linear_model import Ridge

    x, y = _data()
    mlflow.set_experiment(experiment_name)
    mlflow.autolog(log_input_examples=False, log_model_signatures=False, silent=True)
    try:
        with mlflow.start_run() as run:
            Ridge(alpha=0.5).fit(x, y)
    finally:
        mlflow.autolog(disable=True)
    got = tracking.get_run(run.info.run_id)
    assert got.data.params["alpha"] == "0.5"
    assert "training_score" in got.data.metrics
    assert got.data.tags["estimator_name"] == "Ridge"
    assert got.outputs.model_outputs  # the autologged model
    with urllib.request.urlopen(
        f"{server.url}/api/v1/projects/{experiment_name}/runs/{run.info.run_id}", timeout=10
    ) as response:
        native = json.loads(response.read())
    assert native["config"]["alpha"] == 0.5 and "training_score" in native["summary"]
