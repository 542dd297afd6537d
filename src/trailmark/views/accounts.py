"""Accounts: users, API keys, teams, members (grants) of projects and models, the audit log.

Secrets never appear in these models, except in the one answer that creates them
(:class:`NewApiKey`, :class:`NewUser`): shown once, stored only as hashes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from trailmark.views.base import View


class User(View):
    id: int
    name: str
    display_name: str | None
    email: str | None
    admin: bool = Field(description="A server admin: every permission on everything.")
    service: bool = Field(description="A service account (CI, training clusters): keys only.")
    disabled: bool
    has_password: bool = Field(description="Whether the user can sign in with a password.")
    sso: bool = Field(description="Whether an single sign-on identity is linked.")
    teams: list[str]
    created: float
    updated: float
    last_sign_in: float | None


class UserList(View):
    users: list[User]


class NewUser(View):
    user: User
    password: str | None = Field(
        default=None, description="The generated one-time password, in this answer only."
    )


class ApiKey(View):
    id: int
    name: str
    prefix: str = Field(description="The visible start of the key, to tell keys apart.")
    user: str
    read_only: bool
    created: float
    expires: float | None
    last_used: float | None
    revoked: float | None
    active: bool = Field(description="Neither revoked nor expired.")


class ApiKeyList(View):
    keys: list[ApiKey]


class NewApiKey(View):
    api_key: ApiKey
    key: str = Field(description="The key itself, shown in this answer only.")


class Team(View):
    id: int
    name: str
    description: str
    members: list[str]
    created: float


class TeamList(View):
    teams: list[Team]


class Grant(View):
    principal: str = Field(description="'user:NAME' or 'team:NAME'.")
    kind: Literal["user", "team"]
    name: str
    role: Literal["viewer", "editor", "admin"]
    granted_by: str
    granted: float


class GrantList(View):
    visibility: Literal["private", "internal"]
    members: list[Grant]


class AuditEvent(View):
    id: int
    at: float
    actor: str
    actor_id: int | None
    action: str
    method: str | None
    route: str | None
    resource: str | None
    status: int
    outcome: Literal["ok", "denied", "failed"]
    client: str | None
    detail: dict[str, Any]


class AuditPage(View):
    events: list[AuditEvent]
    next_page_token: str | None = Field(
        description="Pass as page_token for the next (older) page; null at the end."
    )


class SsoInfo(View):
    enabled: bool
    only: bool = Field(description="Password sign-in is off: single sign-on only.")
    label: str


class Me(View):
    accounts: bool = Field(description="Whether accounts are on (at least one user exists).")
    user: User | None
    sso: SsoInfo
