"""Answers of the accounts API that :mod:`trailmark.views.accounts` does not hold: what the
caller may do on one project or registered model (the dashboard hides what it may not)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from trailmark.views.base import View


class Can(View):
    read: bool
    write: bool = Field(description="Log, upload and edit (never with a read-only key).")
    admin: bool = Field(description="Manage members and visibility, delete.")


class ResourceAccess(View):
    """``GET /api/v1/projects/{project}/access`` (and ``/api/v1/models/{name}/access``)."""

    accounts: bool = Field(description="Whether accounts are on; off: everyone may do all.")
    role: Literal["viewer", "editor", "admin"] | None = Field(
        description="The caller's role (a server admin is admin everywhere); null: none."
    )
    visibility: Literal["private", "internal"]
    read_only: bool = Field(description="The caller signed in with a read-only API key.")
    can: Can
