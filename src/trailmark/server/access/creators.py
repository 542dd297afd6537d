"""Whoever creates a project or a registered model becomes its admin before the answer.

The create routes call :func:`make_creator_admin` once the resource exists, inside the
request, so the creator's very next request (MLflow's ``set_experiment`` creates an
experiment and reads it back at once; ``register_model`` creates a model and then its first
version) already finds the grant. The request guard grants it too after the answer
(``grant_creator`` is idempotent); with no accounts there is nothing to grant.
"""

from __future__ import annotations

from trailmark.errors import NotFound
from trailmark.server.access.readable import account_for
from trailmark.server.identity import Identity
from trailmark.store.accounts.roles import ResourceKind
from trailmark.store.store import Store


def make_creator_admin(store: Store, identity: Identity, kind: ResourceKind, name: str) -> None:
    """Make ``identity`` admin of the ``kind`` named ``name`` it just created (no-op for a
    caller without an account: accounts are off)."""
    try:
        account = account_for(store, identity)
    except NotFound:  # a proxy-named user without an account
        return
    if account is not None:
        store.accounts.grants.grant_creator(kind, name, account)
