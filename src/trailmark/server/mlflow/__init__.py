"""The MLflow REST API 2.0 (``/api/2.0/mlflow/...``), so MLflow clients log to Trailmark unchanged.

Only the HTTP side lives here: :mod:`.routes` mounts the endpoints table of
:mod:`trailmark.mlflow_api` (the handlers, shared with ``trailmark import``) as routes,
:mod:`.artifacts` streams files, and :mod:`.errors` gives every MLflow route MLflow's error
bodies. Storage is ``store.mlflow`` (:mod:`trailmark.store.mlflow`).
"""
