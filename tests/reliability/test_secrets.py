"""Secrets in a run's config (``*_TOKEN``, ``*SECRET*``, ``*_KEY``, ``*PASSWORD*`` keys, and
passwords inside URLs) are redacted before they leave the training process: not in the spool,
not in the store. The script's own ``run.config`` keeps the real values."""

from __future__ import annotations

from pathlib import Path

import trailmark as tm
from trailmark.redact import REDACTED

SECRETS = [
    "hf_abcdefghijklmnop",
    "wk-1234567890",
    "hunter2-db",
    "aws-secret-value-0001",
    "pa55word-in-url",
    "mirror-pass-77",
    "sk-live-xyz-42",
    "pw-nested-9",
    "st-999-service",
]


def test_config_secrets_never_leave_the_training_process(tmp_path: Path) -> None:
    config = {
        "lr": 3e-4,
        "HF_TOKEN": "hf_abcdefghijklmnop",
        "wandb": {"api_key": "wk-1234567890", "project": "mnist"},
        "db_password": "hunter2-db",
        "AWS_SECRET_ACCESS_KEY": "aws-secret-value-0001",
        "data_url": "postgresql://trainer:pa55word-in-url@db.internal/experiments",
        "mirrors": ["https://user:mirror-pass-77@mirror.example/data", "https://plain.example"],
        "tokenizer": "bert-base-uncased",
        "max_tokens": 512,
    }
    run = tm.init(project="secrets", id="cfg", config=config, dir=tmp_path)
    run.config.update({"OPENAI_API_KEY": "sk-live-xyz-42", "epochs": 3})
    run.config.update({"optimizer": {"name": "adam", "password": "pw-nested-9"}})
    run.config.service_token = "st-999-service"
    run.log({"loss": 0.5})

    spooled = Path(run.spool_path).read_bytes()
    leaked = [secret for secret in SECRETS if secret.encode() in spooled]
    assert not leaked, f"in the spool: {leaked}"
    assert run.config["HF_TOKEN"] == "hf_abcdefghijklmnop", "the script still has its values"
    assert run.config.service_token == "st-999-service"
    report = run.finish()
    assert report is not None and report.complete

    with tm.Api(dir=tmp_path) as api:
        stored = api.run("secrets/cfg").config
    assert stored == {
        "lr": 3e-4,
        "HF_TOKEN": REDACTED,
        "wandb": {"api_key": REDACTED, "project": "mnist"},
        "db_password": REDACTED,
        "AWS_SECRET_ACCESS_KEY": REDACTED,
        "data_url": f"postgresql://trainer:{REDACTED}@db.internal/experiments",
        "mirrors": [f"https://user:{REDACTED}@mirror.example/data", "https://plain.example"],
        "tokenizer": "bert-base-uncased",
        "max_tokens": 512,
        "OPENAI_API_KEY": REDACTED,
        "epochs": 3,
        "optimizer": {"name": "adam", "password": REDACTED},
        "service_token": REDACTED,
    }
