"""Secrets never leave the process: secret-looking names, URL passwords, command-line options."""

from __future__ import annotations

import pytest

from trailmark.sdk.redact import (
    REDACTED,
    is_secret_name,
    redact,
    redact_argv,
    redact_environ,
    redact_url_passwords,
    strip_url_credentials,
)


@pytest.mark.parametrize(
    "name",
    [
        "HF_TOKEN",
        "GITHUB_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "OPENAI_API_KEY",
        "DB_PASSWORD",
        "MYSQL_ROOT_PASSWORD_FILE",
        "api-key",
        "api_key",
        "client.secret",
        "--db-password",
        "token",
    ],
)
def test_secret_looking_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["PATH", "lr", "key", "TOKENIZERS_PARALLELISM", "monkey", "HOME"])
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


def test_passwords_inside_urls_are_replaced_wherever_they_are() -> None:
    text = "db=postgresql://me:hunter2@db:5432/x and redis://:pw@cache:6379"
    assert redact_url_passwords(text) == (
        f"db=postgresql://me:{REDACTED}@db:5432/x and redis://:{REDACTED}@cache:6379"
    )
    assert redact_url_passwords("https://example.com/a@b") == "https://example.com/a@b"


def test_git_remotes_lose_their_credentials_but_not_ssh_users() -> None:
    assert (
        strip_url_credentials("https://me:tok@github.com/o/r.git") == "https://github.com/o/r.git"
    )
    assert strip_url_credentials("https://ghp_abc@github.com/o/r") == "https://github.com/o/r"
    assert strip_url_credentials("ssh://git:pw@host/o/r") == "ssh://git@host/o/r"
    assert strip_url_credentials("git@github.com:o/r.git") == "git@github.com:o/r.git"


def test_redact_walks_configs() -> None:
    config = {
        "lr": 3e-4,
        "hf_token": "hf_abc",
        "model": {"api-key": "k", "key": "train/loss", "urls": ["s3://a:b@bucket/x"]},
        "password": None,
    }
    assert redact(config) == {
        "lr": 3e-4,
        "hf_token": REDACTED,
        "model": {
            "api-key": REDACTED,
            "key": "train/loss",
            "urls": [f"s3://a:{REDACTED}@bucket/x"],
        },
        "password": None,
    }


def test_environment_variables_and_command_lines() -> None:
    env = {"HF_TOKEN": "hf_secret", "PATH": "/bin", "MLFLOW_TRACKING_URI": "https://u:p@h"}
    assert redact_environ(env, ["HF_TOKEN", "PATH", "MLFLOW_TRACKING_URI", "UNSET"]) == {
        "HF_TOKEN": REDACTED,
        "MLFLOW_TRACKING_URI": f"https://u:{REDACTED}@h",
        "PATH": "/bin",
    }
    argv = ["--api-key=abc", "--password", "hunter2", "--lr", "3", "--db=postgres://a:b@h/d"]
    assert redact_argv(argv) == [
        f"--api-key={REDACTED}",
        "--password",
        REDACTED,
        "--lr",
        "3",
        f"--db=postgres://a:{REDACTED}@h/d",
    ]


def test_tokenizer_settings_and_numbers_are_not_secrets() -> None:
    from trailmark.sdk.redact import redact

    config = {
        "pad_token": "<pad>",
        "eos_token_id": 2,
        "max_new_tokens": 64,
        "primary_key": 3,
        "hf_token": "hf_secret",
    }
    assert redact(config) == {
        "pad_token": "<pad>",
        "eos_token_id": 2,
        "max_new_tokens": 64,
        "primary_key": 3,
        "hf_token": "[redacted]",
    }
