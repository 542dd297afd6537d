"""Secrets never leave the process: secret-looking names, URL passwords, command-line options."""

from __future__ import annotations

import pytest

from trailmark.redact import (
    REDACTED,
    display_url,
    is_secret_name,
    redact,
    redact_argv,
    redact_entries,
    redact_environ,
    redact_text,
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
    from trailmark.redact import redact

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


@pytest.mark.parametrize(
    "name",
    [
        "auth",
        "Authorization",
        "proxy-authorization",
        "pwd",
        "db_pwd",
        "passphrase",
        "ssh_key_passphrase",
        "cookie",
        "session_cookie",
        "db_pass",
        "pass",
    ],
)
def test_more_secret_looking_names(name: str) -> None:
    assert is_secret_name(name)
    assert redact({name: "s3cr3t-value"}) == {name: REDACTED}


@pytest.mark.parametrize(
    "name",
    [
        "lr",
        "tokenizer",
        "num_tokens",
        "max_tokens",
        "token_budget",
        "keyframes",
        "author",
        "authors",
        "bypass",
        "compass",
        "passes",
    ],
)
def test_hyperparameters_are_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)
    assert redact({name: "bert-base-uncased"}) == {name: "bert-base-uncased"}


SECRET_VALUES = [
    # (text, what it must become)
    ("sk-proj-Ab3dEf6hIj9kLmN0pQr2StUv4WxYz", REDACTED),
    ("sk-ant-api03-Xy9zAbCdEfGhIjKlMnOpQrStUv", REDACTED),
    ("sk-" + "Ab1" * 16, REDACTED),
    ("ghp_" + "aB3" * 12, REDACTED),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", REDACTED),
    ("xoxb-1234567890-0987654321-AbCdEfGhIjKl", REDACTED),
    ("xoxp-1234567890-abcdef", REDACTED),
    ("AKIAIOSFODNN7EXAMPLE", REDACTED),
    ("hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", REDACTED),
    ("glpat-abcdefghij0123456789", REDACTED),
    ("key id AKIAIOSFODNN7EXAMPLE here", f"key id {REDACTED} here"),
    ("Bearer abcdef0123456789abcdef", f"Bearer {REDACTED}"),
    ("Authorization: Basic dXNlcjpwYXNz", f"Authorization: {REDACTED}"),
    ("Cookie: session=abc123; theme=dark", f"Cookie: {REDACTED}"),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nnext",
        f"{REDACTED}\nnext",
    ),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE", REDACTED),
    (
        "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
        f"https://hooks.slack.com/services/{REDACTED}",
    ),
    (
        "https://discord.com/api/webhooks/123/abcDEF-xyz",
        f"https://discord.com/api/webhooks/{REDACTED}",
    ),
    (
        "https://api.example.com/v1?token=abc123&page=2",
        f"https://api.example.com/v1?token={REDACTED}&page=2",
    ),
    (
        "https://x.example/cb?access_token=abc.def&x=1",
        f"https://x.example/cb?access_token={REDACTED}&x=1",
    ),
    (
        "https://acct.blob.core.windows.net/c/f?sv=2022&sig=abc%2Bdef",
        f"https://acct.blob.core.windows.net/c/f?sv=2022&sig={REDACTED}",
    ),
    (
        "https://b.s3.amazonaws.com/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=ab12",
        f"https://b.s3.amazonaws.com/k?X-Amz-Credential={REDACTED}&X-Amz-Signature={REDACTED}",
    ),
    (
        "postgresql://db/x?password=hunter2&sslmode=require",
        f"postgresql://db/x?password={REDACTED}&sslmode=require",
    ),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlMTIz", REDACTED),
]


@pytest.mark.parametrize(("text", "expected"), SECRET_VALUES)
def test_secret_values_are_hidden_under_any_name(text: str, expected: str) -> None:
    assert redact({"notes": text}) == {"notes": expected}
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "bert-base-uncased",
        "sk-learn",
        "sklearn-estimator-wrapper-for-tabular",
        "hf_transformers_cache_directory_path",
        "https://huggingface.co/datasets/squad?row=3&split=train",
        "s3://bucket/path/to/keyframes",
        "The special token embeddings are learnt",
        "ghp_short",
        "AKIA",
        "adamw_torch",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBg",
        "a bearer of bad news",
        "https://hooks.example.com/services/keep",
    ],
)
def test_ordinary_values_stay(text: str) -> None:
    assert redact({"value": text}) == {"value": text}


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["mysql", "-u", "root", "-p", "hunter2", "db"],
            ["mysql", "-u", "root", "-p", REDACTED, "db"],
        ),
        (
            ["mysqldump", "-uroot", "-phunter2", "db"],
            ["mysqldump", "-uroot", f"-p{REDACTED}", "db"],
        ),
        (
            ["train.py", "--user", "ana", "-p", "hunter2"],
            ["train.py", "--user", "ana", "-p", REDACTED],
        ),
        (["redis-cli", "-a", "hunter2", "ping"], ["redis-cli", "-a", REDACTED, "ping"]),
        (["train.py", "--passphrase", "open sesame"], ["train.py", "--passphrase", REDACTED]),
        (["train.py", "--auth=tok"], ["train.py", f"--auth={REDACTED}"]),
        (
            ["train.py", "db.password=hunter2", "lr=3e-4"],
            ["train.py", f"db.password={REDACTED}", "lr=3e-4"],
        ),
        (["train.py", "--password", "--lr", "3"], ["train.py", "--password", "--lr", "3"]),
        (
            ["curl", "-H", "Authorization: Bearer abcdef0123456789xyz"],
            ["curl", "-H", f"Authorization: {REDACTED}"],
        ),
        (
            ["train.py", "--key", "sk-proj-Ab3dEf6hIj9kLmN0pQr2StUv4WxYz"],
            ["train.py", "--key", REDACTED],
        ),
    ],
)
def test_command_lines_hide_passwords_in_every_form(argv: list[str], expected: list[str]) -> None:
    assert redact_argv(argv) == expected


def test_a_port_is_not_a_password() -> None:
    argv = ["serve.py", "-p", "8080", "--host", "0.0.0.0"]
    assert redact_argv(argv) == argv


def test_display_url_hides_the_password_and_secret_query_parameters() -> None:
    assert (
        display_url("postgresql://tm:hunter2@db:5432/tm")
        == f"postgresql://tm:{REDACTED}@db:5432/tm"
    )
    assert display_url("postgresql://tm@db/tm?password=x&sslmode=require") == (
        f"postgresql://tm@db/tm?password={REDACTED}&sslmode=require"
    )
    assert display_url("sqlite:////data/trailmark.db") == "sqlite:////data/trailmark.db"


def test_redact_entries_is_the_same_rule_for_params_and_tags() -> None:
    assert redact_entries({"db_pass": "x", "model": "gpt2", "note": "ghp_" + "aB3" * 12}) == {
        "db_pass": REDACTED,
        "model": "gpt2",
        "note": REDACTED,
    }


@pytest.mark.parametrize(
    "name",
    ["another key", "sort_key", "key", "primary_key", "keyboard", "foreign-key", "cache_key"],
)
def test_names_with_key_in_them_are_not_secret_names(name: str) -> None:
    """A key is an everyday word in ML and data code (a sort key, a tag named "another
    key"); only keys named for what they unlock are secrets."""
    assert not is_secret_name(name)
    assert redact({name: "value"}) == {name: "value"}
    assert redact_entries({name: "value"}) == {name: "value"}


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "API_KEY",
        "secret_key",
        "aws_secret_access_key",
        "password",
        "token",
        "auth_token",
        "x-api-key",
        "openai_key",
        "ssh_key",
        "encryption_key",
        "WANDB_API_KEY",
    ],
)
def test_keys_named_for_what_they_unlock_stay_redacted(name: str) -> None:
    assert is_secret_name(name)
    assert redact_entries({name: "s3cr3t-value"}) == {name: REDACTED}
