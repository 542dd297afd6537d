"""``trailmark import``: bring history over from other trackers (MLflow for now)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

from trailmark.errors import TrailmarkError
from trailmark.settings import ClientSettings


@click.group("import")
def import_group() -> None:
    """Copy experiments and runs from another tracker into Trailmark."""


@import_group.command("mlflow")
@click.argument("source")
@click.option("--url", help="Trailmark server to write to (default: the local data dir).")
@click.option("--data-dir", help="Data dir to write to (default: $TRAILMARK_DIR or ~/.trailmark).")
@click.option("--db", help="Database URL to write to instead of the data dir's SQLite file.")
@click.option(
    "--experiment",
    "experiments",
    multiple=True,
    help="Import only this experiment (by MLflow name; repeat for more).",
)
@click.option("--include-deleted-runs", is_flag=True, help="Also copy deleted runs (kept deleted).")
def mlflow_command(
    source: str,
    url: str | None,
    data_dir: str | None,
    db: str | None,
    experiments: tuple[str, ...],
    include_deleted_runs: bool,
) -> None:
    """Copy MLflow experiments, runs, params, metrics (full history), tags and artifacts.

    SOURCE is an MLflow tracking URI (http://host:5000, sqlite:///mlflow.db, postgresql://...)
    or an mlruns folder; it is read with the mlflow client. Runs keep their MLflow ids, so
    running the import again only adds what changed since: nothing is copied twice.
    Experiment names with '/' become project names with '-'.
    """
    from trailmark.mlflow_import import HttpSink, LocalSink, MlflowSource, import_mlflow
    from trailmark.mlflow_import.copy import PlannedRun
    from trailmark.mlflow_import.sink import Sink

    def progress(items: list[PlannedRun]) -> Iterator[PlannedRun]:
        with click.progressbar(
            items,
            label=f"Importing {len(items)} runs",
            file=sys.stderr,
            item_show_func=lambda item: item.run.info.run_name if item else None,
        ) as bar:
            yield from bar

    sink: Sink
    try:
        reader = MlflowSource(source)
        if url:
            sink = HttpSink(url)
        else:
            directory = (
                Path(data_dir).expanduser() if data_dir else ClientSettings.from_env().data_dir
            )
            sink = LocalSink(directory, db)
        try:
            report = import_mlflow(
                reader,
                sink,
                include_deleted=include_deleted_runs,
                experiments=list(experiments) or None,
                progress=progress,
            )
        finally:
            sink.close()
    except TrailmarkError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Imported into {sink.description}: {report.summary()}")
    if report.problems:
        sys.exit(1)
