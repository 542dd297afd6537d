"""GET /health."""

from __future__ import annotations

from trailmark.views.base import View


class Health(View):
    status: str
    version: str
    database: str
