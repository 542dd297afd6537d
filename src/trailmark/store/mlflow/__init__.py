"""Storage for the MLflow-compatible API (``/api/2.0/mlflow``), on Trailmark's own tables.

An MLflow experiment is a project, a run is a run: MLflow params are the flattened view of
``config``, MLflow tags are ``properties``, metrics are metric series. See
:mod:`trailmark.store.mlflow.conventions` for how values move between the two models.
"""
