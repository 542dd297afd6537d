"""What route handlers get from the app: the store."""

from __future__ import annotations

from typing import cast

from fastapi import Request

from trailmark.store.store import Store


def get_store(request: Request) -> Store:
    return cast(Store, request.app.state.store)
