"""``trailmark import mlflow SOURCE``: bring MLflow history over, idempotently.

The source is read with MLflow's own client (a server URL, ``sqlite:///mlflow.db`` or an
``mlruns`` folder); the target is a data dir or a Trailmark server, written through the
MLflow-compatible API Trailmark serves (see :mod:`.sink`). Example::

    from trailmark.mlflow_import import HttpSink, MlflowSource, import_mlflow
    report = import_mlflow(MlflowSource("sqlite:///mlflow.db"), HttpSink("http://tracker:5100"))
    print(report.summary())
"""

from trailmark.mlflow_import.copy import ImportReport, import_mlflow
from trailmark.mlflow_import.sink import HttpSink, LocalSink, Sink
from trailmark.mlflow_import.source import MlflowSource

__all__ = ["HttpSink", "ImportReport", "LocalSink", "MlflowSource", "Sink", "import_mlflow"]
