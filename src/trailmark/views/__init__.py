"""Typed view models: the JSON objects the REST API answers, one module per resource.

They are the data contract: each route declares one as its ``response_model``, so
``/api/v1/openapi.json`` describes every answer, and the dashboard's TypeScript types are
generated from that document (``make web-types``). The store builds plain dicts of these
shapes (cheaper than models on its hot paths); tests check real answers against the models.

This package imports pydantic and the standard library only, so any layer may use it.
Import the module of a resource (``from trailmark.views.runs import Run``); nothing is
re-exported here, so importing one model does not import them all.
"""
