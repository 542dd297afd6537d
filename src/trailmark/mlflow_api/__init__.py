"""The MLflow REST API 2.0's semantics without HTTP: handlers the server and the importer share.

Each handler is a plain function ``(store, fields, user) -> dict`` that reads MLflow's
request fields (:mod:`.fields`), works through the store's MLflow facade
(``store.mlflow``, :mod:`trailmark.store.mlflow`) and answers MLflow's JSON
(:mod:`.entities`). :mod:`.endpoints` is the one table of them. This package never imports
the web framework, so ``trailmark import mlflow`` writes a data dir in-process through the
very code the server runs, without FastAPI; :mod:`trailmark.server.mlflow` adapts the table
to routes.
"""
