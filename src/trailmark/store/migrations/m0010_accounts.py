"""0010_accounts: users, API keys, sign-in sessions, teams and their members, roles granted
on projects and registered models, the audit log, and the visibility of projects and
registered models (NULL: private)."""

from __future__ import annotations

from sqlalchemy import Connection

from trailmark.store.migrations.ddl import add_column_if_missing, execute_script

SCRIPT = """
CREATE TABLE IF NOT EXISTS users (
    id {serial} NOT NULL,
    name VARCHAR(256) NOT NULL,
    display_name VARCHAR(256),
    email VARCHAR(256),
    password_hash VARCHAR(256),
    is_admin BOOLEAN NOT NULL,
    is_service BOOLEAN NOT NULL,
    oidc_subject VARCHAR(1024),
    created_at FLOAT NOT NULL,
    updated_at FLOAT NOT NULL,
    disabled_at FLOAT,
    last_sign_in_at FLOAT,
    PRIMARY KEY (id),
    UNIQUE (name),
    UNIQUE (oidc_subject)
);
CREATE TABLE IF NOT EXISTS api_keys (
    id {serial} NOT NULL,
    user_id {bigid} NOT NULL,
    name VARCHAR(256) NOT NULL,
    prefix VARCHAR(16) NOT NULL,
    key_hash VARCHAR(64) NOT NULL,
    read_only BOOLEAN NOT NULL,
    created_at FLOAT NOT NULL,
    expires_at FLOAT,
    last_used_at FLOAT,
    revoked_at FLOAT,
    PRIMARY KEY (id),
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE,
    UNIQUE (key_hash)
);
CREATE INDEX IF NOT EXISTS ix_api_keys_user ON api_keys (user_id);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash VARCHAR(64) NOT NULL,
    user_id {bigid} NOT NULL,
    created_at FLOAT NOT NULL,
    expires_at FLOAT NOT NULL,
    last_seen_at FLOAT NOT NULL,
    client VARCHAR(128),
    user_agent VARCHAR(512),
    PRIMARY KEY (token_hash),
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_sessions_user ON sessions (user_id);
CREATE TABLE IF NOT EXISTS teams (
    id {serial} NOT NULL,
    name VARCHAR(256) NOT NULL,
    description TEXT NOT NULL,
    created_at FLOAT NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (name)
);
CREATE TABLE IF NOT EXISTS team_members (
    team_id {bigid} NOT NULL,
    user_id {bigid} NOT NULL,
    PRIMARY KEY (team_id, user_id),
    FOREIGN KEY(team_id) REFERENCES teams (id) ON DELETE CASCADE,
    FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS ix_team_members_user ON team_members (user_id);
CREATE TABLE IF NOT EXISTS grants (
    resource_kind VARCHAR(16) NOT NULL,
    resource_id {bigid} NOT NULL,
    principal_kind VARCHAR(16) NOT NULL,
    principal_id {bigid} NOT NULL,
    role VARCHAR(16) NOT NULL,
    granted_by VARCHAR(256) NOT NULL,
    granted_at FLOAT NOT NULL,
    PRIMARY KEY (resource_kind, resource_id, principal_kind, principal_id)
);
CREATE INDEX IF NOT EXISTS ix_grants_principal ON grants (principal_kind, principal_id);
CREATE TABLE IF NOT EXISTS audit_events (
    id {serial} NOT NULL,
    at FLOAT NOT NULL,
    actor VARCHAR(256) NOT NULL,
    actor_id BIGINT,
    action VARCHAR(64) NOT NULL,
    method VARCHAR(16),
    route VARCHAR(512),
    resource VARCHAR(512),
    status INTEGER NOT NULL,
    outcome VARCHAR(16) NOT NULL,
    client VARCHAR(128),
    detail {json} NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ix_audit_events_at ON audit_events (at);
CREATE INDEX IF NOT EXISTS ix_audit_events_actor_at ON audit_events (actor, at);
CREATE INDEX IF NOT EXISTS ix_audit_events_action_at ON audit_events (action, at);
"""


def apply(conn: Connection) -> None:
    execute_script(conn, SCRIPT)
    add_column_if_missing(conn, "projects", "visibility", "VARCHAR(16)")
    add_column_if_missing(conn, "registered_models", "visibility", "VARCHAR(16)")
