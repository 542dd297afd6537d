"""The ``trailmark`` command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from trailmark._version import __version__
from trailmark.errors import TrailmarkError
from trailmark.settings import ClientSettings

F = TypeVar("F", bound=Callable[..., Any])

DATA_DIR_HELP = "Data dir (default: $TRAILMARK_DIR or ~/.trailmark)."


def _data_dir(value: str | None) -> Path:
    return Path(value).expanduser() if value else ClientSettings.from_env().data_dir


@click.group()
@click.version_option(__version__, prog_name="trailmark")
def main() -> None:
    """Trailmark: experiment tracking, artifacts and model registry on your own machines."""


def _serve(
    host: str, port: int, db: str | None, data_dir: str | None, insecure_allow_remote: bool
) -> None:
    import uvicorn

    from trailmark.server.app import create_app
    from trailmark.server.settings import ServerSettings

    settings = ServerSettings(
        data_dir=_data_dir(data_dir),
        db_url=db,
        host=host,
        port=port,
        insecure_allow_remote=insecure_allow_remote,
    )
    try:
        settings.check_bind()
        app = create_app(settings)
    except TrailmarkError as exc:
        raise click.ClickException(exc.message) from None
    where = db or f"{settings.data_dir}"
    click.echo(f"Trailmark {__version__} serving {where} at http://{host}:{port}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def _server_options(default_port: int = 5100) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        fn = click.option(
            "--insecure-allow-remote",
            is_flag=True,
            envvar="TRAILMARK_INSECURE_ALLOW_REMOTE",
            help="Allow a non-loopback bind without authentication.",
        )(fn)
        fn = click.option("--data-dir", envvar="TRAILMARK_DIR", help=DATA_DIR_HELP)(fn)
        fn = click.option(
            "--port", default=default_port, show_default=True, envvar="TRAILMARK_PORT", type=int
        )(fn)
        fn = click.option(
            "--host", default="127.0.0.1", show_default=True, envvar="TRAILMARK_HOST"
        )(fn)
        return fn

    return decorate


@main.command()
@_server_options()
@click.option(
    "--db",
    envvar="TRAILMARK_DB",
    help="Database URL (postgresql://... or sqlite:///...). Default: SQLite in the data dir.",
)
def server(
    host: str, port: int, db: str | None, data_dir: str | None, insecure_allow_remote: bool
) -> None:
    """Run the tracking server (REST API at /api/v1, MLflow-compatible API later)."""
    _serve(host, port, db, data_dir, insecure_allow_remote)


@main.command()
@_server_options()
def ui(host: str, port: int, data_dir: str | None, insecure_allow_remote: bool) -> None:
    """Serve the local data dir (what runs logged without a server wrote)."""
    _serve(host, port, None, data_dir, insecure_allow_remote)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--url",
    envvar="TRAILMARK_SYNC_URL",
    help="Server to ship to (default: where each run was headed).",
)
@click.option("--data-dir", help=DATA_DIR_HELP)
def sync(paths: tuple[Path, ...], url: str | None, data_dir: str | None) -> None:
    """Ship offline or leftover spools (default: every spool in the data dir). Safe to repeat."""
    from trailmark.sdk.sync import find_spools, sync_spool

    roots = list(paths) or [_data_dir(data_dir) / "spool"]
    spools = find_spools(roots)
    if not spools:
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


if __name__ == "__main__":
    main()
