"""Accounts: users, API keys, sign-in sessions, teams, roles on projects and registered
models, and the audit log, over the store's database.

Accounts are on as soon as one user exists (``accounts.users.any()``); with none, the
server admits everyone as before. Reach it as ``store.accounts``::

    alice = store.accounts.users.create("alice", admin=True, password="a long secret!")
    view, key = store.accounts.keys.create("alice", "laptop")
    account, info = store.accounts.keys.authenticate(key)
    store.accounts.grants.role_of(account, "project", "mnist")  # Role.ADMIN
"""

from __future__ import annotations

from trailmark.store.accounts.account import Account
from trailmark.store.accounts.audit import AuditEntry, AuditLog
from trailmark.store.accounts.grants import GrantStore
from trailmark.store.accounts.keys import KeyInfo, KeyStore
from trailmark.store.accounts.roles import ResourceKind, Role, Visibility, role_rank
from trailmark.store.accounts.sessions import SessionStore
from trailmark.store.accounts.teams import TeamStore
from trailmark.store.accounts.users import UserStore
from trailmark.store.database import Database

__all__ = [
    "Account",
    "AccountStore",
    "AuditEntry",
    "AuditLog",
    "GrantStore",
    "KeyInfo",
    "KeyStore",
    "ResourceKind",
    "Role",
    "SessionStore",
    "TeamStore",
    "UserStore",
    "Visibility",
    "role_rank",
]


class AccountStore:
    """The accounts' stores over one database (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.users = UserStore(db)
        self.keys = KeyStore(db)
        self.sessions = SessionStore(db)
        self.teams = TeamStore(db)
        self.grants = GrantStore(db)
        self.audit = AuditLog(db)
