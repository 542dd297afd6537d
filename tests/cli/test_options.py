"""The command line's options are generated from the settings declarations."""

from __future__ import annotations

import dataclasses
from typing import Any

import click
from click.testing import CliRunner

from trailmark.cli.main import main
from trailmark.cli.options import setting_options
from trailmark.server.settings import SERVER_SETTINGS, ServerSettings
from trailmark.settings import CLIENT_SETTINGS, ClientSettings


def _params(command_name: str) -> dict[str, click.Parameter]:
    command = main.commands[command_name]
    return {p.name: p for p in command.params if p.name}


def test_every_server_setting_is_an_option_of_trailmark_server() -> None:
    params = _params("server")
    for setting in SERVER_SETTINGS:
        param = params[setting.name]
        assert param.envvar == setting.env
        assert isinstance(param, click.Option) and param.help == setting.help
        assert f"--{setting.name.replace('_', '-')}" in param.opts
    assert params["port"].default == 5100 and params["host"].default == "127.0.0.1"


def test_trailmark_ui_serves_the_data_dir_only() -> None:
    assert set(_params("ui")) == {s.name for s in SERVER_SETTINGS} - {"db"}


def test_the_dataclasses_take_their_defaults_from_the_declarations() -> None:
    server = {f.name: f.default for f in dataclasses.fields(ServerSettings)}
    for setting in SERVER_SETTINGS:
        if setting.name != "data_dir":
            assert server[setting.attribute] == setting.value, setting.name
    client = {f.name: f.default for f in dataclasses.fields(ClientSettings)}
    for setting in CLIENT_SETTINGS:
        if setting.name not in ("dir", "runtime_dir"):
            assert client[setting.name] == setting.value, setting.name


def test_generated_options_read_types_flags_and_lists_from_the_environment() -> None:
    seen: dict[str, Any] = {}

    @click.command()
    @setting_options(SERVER_SETTINGS)
    def probe(**options: Any) -> None:
        seen.update(options)

    env = {
        "TRAILMARK_PORT": "5200",
        "TRAILMARK_INSECURE_ALLOW_REMOTE": "true",
        "TRAILMARK_ALLOWED_HOSTS": "a.example b.example",
    }
    result = CliRunner().invoke(probe, ["--db", "sqlite:///x.db"], env=env)
    assert result.exit_code == 0, result.output
    assert seen["port"] == 5200 and seen["insecure_allow_remote"] is True
    assert seen["allowed_host"] == ("a.example", "b.example")
    assert seen["db"] == "sqlite:///x.db" and seen["webhooks_allow_private"] is False
    assert seen["host"] == "127.0.0.1" and seen["blobs"] is None
