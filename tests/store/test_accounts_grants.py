"""Teams, roles granted on projects and registered models, visibility and what an account
may read; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from trailmark.errors import Conflict, InvalidInput, NotFound
from trailmark.store.accounts import Role, Visibility, role_rank
from trailmark.store.store import Store


@pytest.fixture
def store(store: Store) -> Store:
    store.accounts.users.create("root", admin=True)
    for name in ("alice", "bob", "carol"):
        store.accounts.users.create(name)
    store.runs.create_project("mnist")
    store.runs.create_project("cifar")
    store.registry.create_model("clf")
    return store


def test_roles_are_ordered() -> None:
    assert role_rank(None) < role_rank(Role.VIEWER) < role_rank(Role.EDITOR)
    assert role_rank(Role.EDITOR) < role_rank(Role.ADMIN)


def test_teams_and_their_members(store: Store) -> None:
    teams = store.accounts.teams
    ml = teams.create("ml", "the ML team")
    assert (ml.name, ml.description, ml.members) == ("ml", "the ML team", [])
    with pytest.raises(Conflict):
        teams.create("ml")
    assert teams.add_member("ml", "bob") is True
    assert teams.add_member("ml", "bob") is False
    teams.add_member("ml", "alice")
    assert teams.members("ml") == ["alice", "bob"]
    assert teams.get("ml").members == ["alice", "bob"]
    assert store.accounts.users.get("bob").team_ids == frozenset({ml.id})
    assert store.accounts.users.info("bob").teams == ["ml"]
    teams.remove_member("ml", "alice")
    with pytest.raises(NotFound):
        teams.remove_member("ml", "alice")
    with pytest.raises(NotFound):
        teams.add_member("ml", "nobody")
    with pytest.raises(NotFound):
        teams.add_member("nope", "bob")
    assert [t.name for t in teams.list()] == ["ml"]
    teams.delete("ml")
    assert teams.list() == [] and store.accounts.users.get("bob").team_ids == frozenset()


def test_role_of_takes_the_strongest_of_user_and_team_grants(store: Store) -> None:
    grants = store.accounts.grants
    users = store.accounts.users
    store.accounts.teams.create("ml")
    store.accounts.teams.add_member("ml", "bob")
    assert grants.role_of(users.get("bob"), "project", "mnist") is None
    grants.set("project", "mnist", "user:bob", "viewer", by="root")
    assert grants.role_of(users.get("bob"), "project", "mnist") is Role.VIEWER
    grants.set("project", "mnist", "team:ml", Role.EDITOR, by="root")
    assert grants.role_of(users.get("bob"), "project", "mnist") is Role.EDITOR
    assert grants.role_of(users.get("bob"), "project", "cifar") is None
    assert grants.role_of(users.get("alice"), "project", "mnist") is None
    grants.set("project", "mnist", "user:bob", "admin", by="root")  # replaces viewer
    assert grants.role_of(users.get("bob"), "project", "mnist") is Role.ADMIN
    assert [(g.principal, g.role) for g in grants.list("project", "mnist")] == [
        ("user:bob", "admin"),
        ("team:ml", "editor"),
    ]
    grants.remove("project", "mnist", "user:bob")
    assert grants.role_of(users.get("bob"), "project", "mnist") is Role.EDITOR
    with pytest.raises(NotFound):
        grants.remove("project", "mnist", "user:bob")
    store.accounts.teams.delete("ml")  # its grants go with it
    assert grants.list("project", "mnist") == []


def test_server_admins_and_disabled_users(store: Store) -> None:
    grants = store.accounts.grants
    root = store.accounts.users.get("root")
    assert grants.role_of(root, "project", "mnist") is Role.ADMIN
    assert grants.role_of(root, "model", "clf") is Role.ADMIN
    assert grants.readable(root, "project") is None
    grants.set("project", "mnist", "user:carol", "editor", by="root")
    store.accounts.users.disable("carol")
    carol = store.accounts.users.get("carol")
    assert grants.role_of(carol, "project", "mnist") is None
    assert grants.readable(carol, "project") == set()


def test_internal_visibility_makes_every_signed_in_user_a_viewer(store: Store) -> None:
    grants = store.accounts.grants
    alice = store.accounts.users.get("alice")
    assert grants.visibility("project", "mnist") is Visibility.PRIVATE
    grants.set_visibility("project", "mnist", "internal")
    assert grants.visibility("project", "mnist") is Visibility.INTERNAL
    assert grants.role_of(alice, "project", "mnist") is Role.VIEWER
    grants.set("project", "mnist", "user:alice", "editor", by="root")
    assert grants.role_of(alice, "project", "mnist") is Role.EDITOR  # a grant beats it
    grants.set_visibility("project", "mnist", Visibility.PRIVATE)
    grants.remove("project", "mnist", "user:alice")
    assert grants.role_of(alice, "project", "mnist") is None
    with pytest.raises(InvalidInput):
        grants.set_visibility("project", "mnist", "public")


def test_readable_lists_granted_team_granted_and_internal_resources(store: Store) -> None:
    grants = store.accounts.grants
    store.runs.create_project("shared")
    store.accounts.teams.create("ml")
    store.accounts.teams.add_member("ml", "bob")
    grants.set("project", "mnist", "user:bob", "viewer", by="root")
    grants.set("project", "cifar", "team:ml", "editor", by="root")
    grants.set_visibility("project", "shared", "internal")
    grants.set("model", "clf", "user:alice", "viewer", by="root")
    bob = store.accounts.users.get("bob")
    assert grants.readable(bob, "project") == {"mnist", "cifar", "shared"}
    assert grants.readable(store.accounts.users.get("alice"), "project") == {"shared"}
    assert grants.readable(bob, "model") == set()
    assert grants.readable(store.accounts.users.get("alice"), "model") == {"clf"}


def test_unknown_resources_principals_and_roles(store: Store) -> None:
    grants = store.accounts.grants
    bob = store.accounts.users.get("bob")
    assert grants.exists("project", "mnist") and grants.exists("model", "clf")
    assert not grants.exists("project", "nope") and not grants.exists("model", "mnist")
    assert grants.role_of(bob, "project", "nope") is None
    with pytest.raises(NotFound):
        grants.set("project", "nope", "user:bob", "viewer", by="root")
    with pytest.raises(NotFound):
        grants.set("project", "mnist", "user:nobody", "viewer", by="root")
    with pytest.raises(NotFound):
        grants.set("project", "mnist", "team:nobody", "viewer", by="root")
    with pytest.raises(NotFound):
        grants.list("model", "nope")
    for principal in ("bob", "group:x", "user:", 7):
        with pytest.raises(InvalidInput):
            grants.set("project", "mnist", principal, "viewer", by="root")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        grants.set("project", "mnist", "user:bob", "owner", by="root")
    with pytest.raises(InvalidInput):
        grants.exists("run", "mnist")  # type: ignore[arg-type]


def test_the_creator_becomes_admin(store: Store) -> None:
    grants = store.accounts.grants
    bob = store.accounts.users.get("bob")
    store.runs.create_project("bobs")
    grants.grant_creator("project", "bobs", bob)
    grants.grant_creator("project", "bobs", bob)  # idempotent
    [grant] = grants.list("project", "bobs")
    assert (grant.principal, grant.role, grant.granted_by) == ("user:bob", "admin", "bob")
    grants.set("model", "clf", "user:bob", "viewer", by="root")
    grants.grant_creator("model", "clf", bob)  # raised to admin
    assert grants.role_of(bob, "model", "clf") is Role.ADMIN


def test_grants_go_with_a_deleted_resource_and_stay_with_a_renamed_one(store: Store) -> None:
    grants = store.accounts.grants
    bob = store.accounts.users.get("bob")
    grants.set("project", "mnist", "user:bob", "editor", by="root")
    grants.set("model", "clf", "user:bob", "editor", by="root")
    store.mlflow.registry.rename_model("clf", "classifier")
    assert grants.role_of(bob, "model", "classifier") is Role.EDITOR
    store.runs.delete_project("mnist")
    store.registry.delete_model("classifier")
    store.runs.create_project("mnist")  # may get the same id on SQLite
    store.registry.create_model("classifier")
    assert grants.role_of(bob, "project", "mnist") is None
    assert grants.role_of(bob, "model", "classifier") is None
    assert grants.readable(bob, "project") == set()
