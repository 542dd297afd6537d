"""Params and tags logged by MLflow's own client (no Trailmark SDK in the process) are
redacted by the server's MLflow handlers before they are stored, by the same rules as the
SDK's: secret names, and secret values under ordinary names (issue 16 item 5)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import ServerProcess
from trailmark.redact import REDACTED

GITHUB_TOKEN = "ghp_" + "zY7" * 12
SECRETS = ["hunter2-db", "tok-basic-77", "Sk3-passphrase", GITHUB_TOKEN, "T0/B0/Xx9", "sig-abc"]


def log_secrets(tracking: Any, experiment_name: str) -> str:
    import mlflow
    from mlflow.entities import Param, RunTag

    mlflow.set_experiment(experiment_name)
    with mlflow.start_run(tags={"auth": "tok-basic-77", "team": "vision"}) as run:
        mlflow.log_param("db_password", "hunter2-db")
        mlflow.log_params({"lr": 0.01, "tokenizer": "bert-base", "max_tokens": 512})
        mlflow.set_tag("deploy_hook", "https://hooks.slack.com/services/T0/B0/Xx9")
        tracking.log_batch(
            run.info.run_id,
            params=[Param("passphrase", "Sk3-passphrase"), Param("keyframes", "24")],
            tags=[RunTag("note", f"pushed with {GITHUB_TOKEN}"), RunTag("author", "ana")],
        )
        mlflow.set_tag("data", "https://acct.blob.core.windows.net/c/f?sv=1&sig=sig-abc")
    return str(run.info.run_id)


def check_redacted(tracking: Any, run_id: str) -> None:
    run = tracking.get_run(run_id)
    params, tags = run.data.params, run.data.tags
    assert params["db_password"] == REDACTED and params["passphrase"] == REDACTED
    assert (params["lr"], params["tokenizer"], params["max_tokens"]) == ("0.01", "bert-base", "512")
    assert params["keyframes"] == "24"
    assert tags["auth"] == REDACTED and tags["team"] == "vision" and tags["author"] == "ana"
    assert tags["deploy_hook"] == f"https://hooks.slack.com/services/{REDACTED}"
    assert tags["note"] == f"pushed with {REDACTED}"
    assert tags["data"].endswith(f"&sig={REDACTED}")
    shown = repr((params, tags))
    assert not [secret for secret in SECRETS if secret in shown]


def test_mlflow_params_and_tags_are_redacted_on_sqlite(
    tracking: Any, experiment_name: str, server: ServerProcess
) -> None:
    check_redacted(tracking, log_secrets(tracking, experiment_name))
    stored = b"".join(p.read_bytes() for p in server.data_dir.glob("trailmark.db*"))
    assert not [secret for secret in SECRETS if secret.encode() in stored]


@pytest.mark.postgres
def test_mlflow_params_and_tags_are_redacted_on_postgres(
    pg_server: ServerProcess, experiment_name: str
) -> None:
    import mlflow

    mlflow.set_tracking_uri(pg_server.url)
    try:
        check_redacted(
            mlflow.MlflowClient(pg_server.url),
            log_secrets(mlflow.MlflowClient(pg_server.url), experiment_name),
        )
    finally:
        mlflow.set_tracking_uri("")


def test_experiment_and_registered_model_tags_are_redacted(
    tracking: Any, experiment_name: str
) -> None:
    experiment_id = tracking.create_experiment(experiment_name, tags={"api_token": "tok-basic-77"})
    tracking.set_experiment_tag(experiment_id, "note", f"pushed with {GITHUB_TOKEN}")
    tags = tracking.get_experiment(experiment_id).tags
    assert (tags["api_token"], tags["note"]) == (REDACTED, f"pushed with {REDACTED}")

    model = f"model-{experiment_name}"
    tracking.create_registered_model(model, tags={"auth": "tok-basic-77", "owner": "ana"})
    tracking.set_registered_model_tag(model, "hook", "https://hooks.slack.com/services/T0/B0/Xx9")
    tags = tracking.get_registered_model(model).tags
    assert tags == {
        "auth": REDACTED,
        "owner": "ana",
        "hook": f"https://hooks.slack.com/services/{REDACTED}",
    }
