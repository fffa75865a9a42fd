"""Users and passwords on a real SQLite file: argon2id hashes, policy, disable, login check."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from intake.auth.passwords import Passwords, WeakPassword
from intake.auth.tables import User
from intake.auth.users import UserError, Users
from intake.store.db import open_engine

PW = "correct horse battery"


@pytest.fixture
def users(tmp_path: Path) -> Users:
    return Users(open_engine(f"sqlite:///{tmp_path / 'gate.db'}"))


def test_password_is_stored_as_an_argon2id_hash_only(users: Users) -> None:
    users.add("Ann", PW, "reviewer")
    with Session(users.engine) as session:
        row = session.exec(select(User)).one()
    assert row.username == "ann"                     # case-folded
    assert row.password_hash.startswith("$argon2id$v=19$m=65536,t=3")
    assert PW not in row.password_hash


def test_authenticate_right_wrong_unknown_and_disabled(users: Users) -> None:
    users.add("ann", PW, "admin")
    ok = users.authenticate("ANN", PW)
    assert ok is not None and ok.role == "admin"
    assert users.authenticate("ann", PW + "x") is None
    assert users.authenticate("nobody", PW) is None
    users.set_disabled("ann")
    assert users.authenticate("ann", PW) is None
    users.set_disabled("ann", False)
    assert users.authenticate("ann", PW) is not None


def test_passwd_replaces_the_hash(users: Users) -> None:
    users.add("ann", PW, "reviewer")
    users.set_password("ann", "another long secret")
    assert users.authenticate("ann", PW) is None
    assert users.authenticate("ann", "another long secret") is not None


@pytest.mark.parametrize("name, password, role, error", [
    ("ann", "short", "reviewer", WeakPassword),
    ("ann", "x" * 300, "reviewer", WeakPassword),
    ("ann", PW, "root", UserError),
    ("../ann", PW, "reviewer", UserError),
    ("a", PW, "reviewer", UserError),
])
def test_bad_accounts_are_refused(users: Users, name: str, password: str, role: str, error: type) -> None:
    with pytest.raises(error):
        users.add(name, password, role)
    assert users.list() == []


def test_duplicate_and_missing_users(users: Users) -> None:
    users.add("ann", PW, "reviewer")
    with pytest.raises(UserError, match="exists"):
        users.add("ANN", PW, "reviewer")
    with pytest.raises(UserError, match="no user"):
        users.set_disabled("bob")
    assert [u.username for u in users.list()] == ["ann"]


def test_weaker_old_hashes_are_upgraded_at_login(users: Users) -> None:
    from argon2 import PasswordHasher

    weak = Passwords(PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1))
    Users(users.engine, weak).add("ann", PW, "reviewer")
    assert users.authenticate("ann", PW) is not None
    with Session(users.engine) as session:
        assert session.exec(select(User)).one().password_hash.startswith("$argon2id$v=19$m=65536,t=3")
