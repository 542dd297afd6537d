"""What a lost race looks like to the store's callers: a :class:`~trailmark.errors.Conflict`.

Several servers (replicas) may write one database at once. The store's creates are single
statements that cannot lose a race with a unique-key error (``INSERT ... ON CONFLICT``,
:mod:`trailmark.store.upserts`): a create that loses answers "already exists", and one that
only needs the row to exist reads the winner's. Should a statement still hit a key that
another transaction took (or a row it removed) first, the database's ``IntegrityError`` is a
lost race all the same, not a server fault: :func:`race_conflict` turns it into a
``Conflict`` (409, MLflow's ``RESOURCE_ALREADY_EXISTS``), which the server's one error
mapping (:mod:`trailmark.server.errors`) answers with, never a 500.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from trailmark.errors import Conflict


def race_conflict(exc: BaseException) -> Conflict | None:
    """The :class:`Conflict` that ``exc`` means if it is a constraint another transaction won
    (``IntegrityError``), else None. The message names the constraint, not the values."""
    if not isinstance(exc, IntegrityError):
        return None
    orig = exc.orig
    constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
    detail = constraint or str(orig).splitlines()[0][:200]
    return Conflict(
        f"another request changed the same records at the same time ({detail}); "
        "read the current state and retry if it still applies"
    )
