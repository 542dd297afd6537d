"""Anchors: the same work done with MLflow and Trackio, each in its own pinned virtual env.

``mlflow_cases.py`` and ``trackio_cases.py`` run as scripts inside those envs (standard
library plus the anchor only); ``runner.py`` creates the envs and runs the cases.
"""
