"""The ``trailmark`` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from trailmark._version import __version__
from trailmark.cli.accounts import COMMANDS as ACCOUNT_COMMANDS
from trailmark.cli.gc import gc_command
from trailmark.cli.importer import import_group
from trailmark.cli.login import login_command, logout_command
from trailmark.cli.models import models_group
from trailmark.cli.options import setting_options
from trailmark.errors import TrailmarkError
from trailmark.redact import display_url
from trailmark.server.settings import SERVER_SETTINGS, ServerSettings
from trailmark.settings import SYNC_SETTINGS, ClientSettings

DATA_DIR_HELP = "Data dir (default: $TRAILMARK_DIR or ~/.trailmark)."


def _data_dir(value: str | None) -> Path:
    return Path(value).expanduser() if value else ClientSettings.from_env().data_dir


@click.group()
@click.version_option(__version__, prog_name="trailmark")
def main() -> None:
    """Trailmark: experiment tracking, artifacts and model registry on your own machines."""


def _serve(options: dict[str, Any]) -> None:
    """Serve with the settings the command's generated options gave (by setting name)."""
    import uvicorn

    from trailmark.server.app import create_app
    from trailmark.server.hosts import parse_allowed_hosts

    values = {s.attribute: options[s.name] for s in SERVER_SETTINGS if s.name in options}
    values["data_dir"] = _data_dir(values["data_dir"])
    values["allowed_hosts"] = parse_allowed_hosts(values["allowed_hosts"])
    settings = ServerSettings(**values, dedicated_process=True)
    try:
        from trailmark.server.access.oidc import check_sso_settings

        check_sso_settings(settings)  # a half SSO set-up stops here, not at the first sign-in
        settings.check_bind()
        app = create_app(settings)
    except TrailmarkError as exc:
        raise click.ClickException(exc.message) from None
    where = display_url(settings.db_url) if settings.db_url else f"{settings.data_dir}"
    if settings.access_log:
        from trailmark.server.access_log import log_to_stderr

        log_to_stderr()
    host, port = settings.host, settings.port
    click.echo(f"Trailmark {__version__} serving {where} at http://{host}:{port}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@main.command()
@setting_options(SERVER_SETTINGS)
def server(**options: Any) -> None:
    """Run the tracking server (REST API at /api/v1, MLflow-compatible API at /api/2.0/mlflow)."""
    _serve(options)


@main.command()
@setting_options(SERVER_SETTINGS, leave_out=("db",))
def ui(**options: Any) -> None:
    """Serve the local data dir (what runs logged without a server wrote)."""
    _serve(options)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@setting_options(SYNC_SETTINGS)
@click.option("--data-dir", help=DATA_DIR_HELP)
def sync(paths: tuple[Path, ...], url: str | None, data_dir: str | None) -> None:
    """Ship offline or leftover spools (default: every spool in the data dir). Safe to repeat."""
    from trailmark.sdk.sync import find_rejected, find_spools, sync_spool

    roots = list(paths) or [_data_dir(data_dir) / "spool"]
    spools = find_spools(roots)
    if not spools and not find_rejected(roots):
        click.echo("Nothing to sync.")
        return
    failed = False
    for path in spools:
        try:
            result = sync_spool(path, url, Path(data_dir).expanduser() if data_dir else None)
        except (ValueError, OSError) as exc:
            click.echo(f"{path}: cannot read this spool: {exc}", err=True)
            failed = True
            continue
        line = f"{result.project}/{result.run}: shipped {result.shipped} records to {result.destination}"
        if result.rejected:
            line += f", {result.rejected} refused (see {path.with_suffix('.rejected')})"
        if result.marked_crashed:
            line += "; its process had died, so the run is marked crashed"
        if result.remaining:
            failed = True
            line += f"; {result.remaining} left ({result.error}) - run sync again"
        click.echo(line)
    for rejected in find_rejected([*spools, *roots]):
        failed = True
        click.echo(
            f"{rejected.records} records refused for good are set aside in {rejected.path} "
            "(one line each, with the reason); they are not stored. Fix and log them again, "
            "then delete that file.",
            err=True,
        )
    if failed:
        sys.exit(1)


@main.command()
@click.option("--data-dir", help=DATA_DIR_HELP)
@click.option("--runs", default=6, show_default=True, help="How many demo runs to log.")
def demo(data_dir: str | None, runs: int) -> None:
    """Log a small demo project (a toy training loop with different hyperparameters)."""
    from trailmark.demo import log_demo_project

    directory = _data_dir(data_dir)
    log_demo_project(directory, runs)
    click.echo(f"Logged {runs} runs to project 'demo' in {directory}")


main.add_command(import_group)
main.add_command(models_group)
main.add_command(gc_command)
for _command in ACCOUNT_COMMANDS:
    main.add_command(_command)
main.add_command(login_command)
main.add_command(logout_command)

if __name__ == "__main__":
    main()
