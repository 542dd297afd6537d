"""Roles on a resource, the visibility of a resource, and the kinds of resource that have them.

A role is ordered: a viewer reads, an editor also writes, an admin also manages members,
visibility and deletion. :func:`role_rank` gives the order, so "at least editor" is
``role_rank(role) >= role_rank(Role.EDITOR)``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from trailmark.errors import InvalidInput


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


class Visibility(StrEnum):
    PRIVATE = "private"
    """Only the members of the resource (and server admins) see it: the default."""
    INTERNAL = "internal"
    """Every signed-in user may read it (as a viewer); members keep their roles."""


ResourceKind = Literal["project", "model"]
RESOURCE_KINDS: tuple[ResourceKind, ...] = ("project", "model")

PrincipalKind = Literal["user", "team"]
PRINCIPAL_KINDS: tuple[PrincipalKind, ...] = ("user", "team")

_RANKS = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


def role_rank(role: Role | None) -> int:
    """0 for no role, then viewer < editor < admin."""
    return 0 if role is None else _RANKS[Role(role)]


def highest(roles: list[Role]) -> Role | None:
    """The strongest of ``roles``; ``None`` if there are none."""
    return max(roles, key=role_rank) if roles else None


def check_role(value: Any) -> Role:
    try:
        return Role(value)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InvalidInput(f"role must be one of {choices}, got {value!r}") from None


def check_visibility(value: Any) -> Visibility:
    try:
        return Visibility(value)
    except ValueError:
        choices = ", ".join(v.value for v in Visibility)
        raise InvalidInput(f"visibility must be one of {choices}, got {value!r}") from None


def check_resource_kind(value: Any) -> ResourceKind:
    if value not in RESOURCE_KINDS:
        raise InvalidInput(f"resource kind must be 'project' or 'model', got {value!r}")
    kind: ResourceKind = value
    return kind


def parse_principal(value: Any) -> tuple[PrincipalKind, str]:
    """``"user:alice"`` -> ``("user", "alice")``; ``"team:ml"`` -> ``("team", "ml")``."""
    if isinstance(value, str) and ":" in value:
        kind, name = value.split(":", 1)
        if kind in PRINCIPAL_KINDS and name:
            principal: PrincipalKind = "user" if kind == "user" else "team"
            return principal, name
    raise InvalidInput(f"a member is 'user:NAME' or 'team:NAME', got {value!r}")
