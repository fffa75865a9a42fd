"""Sessions and throttling on a real SQLite file: entropy, hashed storage, rotation, timeouts."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from intake.auth.sessions import SessionPolicy, SessionStore, token_hash
from intake.auth.tables import AuthSession
from intake.auth.users import Users
from intake.store.db import open_engine

PW = "correct horse battery"


@pytest.fixture
def users(tmp_path: Path) -> Users:
    users = Users(open_engine(f"sqlite:///{tmp_path / 'gate.db'}"))
    users.add("rev", PW, "reviewer")
    users.add("adm", PW, "admin")
    return users


def uid(users: Users, name: str) -> int:
    return next(u.id for u in users.list() if u.username == name)


def age(users: Users, token: str, **delta: float) -> None:
    """Move a session's clocks into the past, as if time had passed."""
    with Session(users.engine) as session:
        row = session.get(AuthSession, token_hash(token))
        assert row is not None
        session.exec(update(AuthSession).where(AuthSession.token_hash == row.token_hash).values(  # type: ignore[call-overload]
            created_at=row.created_at - timedelta(**delta), last_seen_at=row.last_seen_at - timedelta(**delta)))
        session.commit()


def test_tokens_are_random_256_bit_and_stored_only_as_hashes(users: Users) -> None:
    store = SessionStore(users.engine)
    tokens = {store.create(uid(users, "rev")) for _ in range(20)}
    assert len(tokens) == 20 and all(len(t) >= 43 for t in tokens)   # 32 bytes, base64url
    with Session(users.engine) as session:
        stored = {r.token_hash for r in session.exec(select(AuthSession))}
    assert stored == {token_hash(t) for t in tokens} and not stored & tokens


def test_lookup_gives_the_principal_with_its_own_csrf_token(users: Users) -> None:
    store = SessionStore(users.engine)
    a, b = store.create(uid(users, "rev")), store.create(uid(users, "rev"))
    pa, pb = store.lookup(a), store.lookup(b)
    assert pa is not None and pb is not None and pa.username == "rev" and pa.role == "reviewer"
    assert pa.csrf_token != pb.csrf_token and len(pa.csrf_token) >= 43
    assert store.lookup("forged") is None and store.lookup(None) is None and store.lookup("x" * 500) is None


def test_replacing_ends_the_old_id(users: Users) -> None:
    store = SessionStore(users.engine)
    old = store.create(uid(users, "rev"))
    new = store.create(uid(users, "rev"), replacing=old)
    assert store.lookup(old) is None and store.lookup(new) is not None


def test_idle_timeout_is_shorter_for_admins(users: Users) -> None:
    store = SessionStore(users.engine, SessionPolicy(reviewer_idle_s=900, admin_idle_s=300))
    rev, adm = store.create(uid(users, "rev")), store.create(uid(users, "adm"))
    age(users, rev, seconds=400)
    age(users, adm, seconds=400)
    assert store.lookup(rev) is not None
    assert store.lookup(adm) is None
    with Session(users.engine) as session:   # the expired one is gone from the server
        assert session.get(AuthSession, token_hash(adm)) is None


def test_activity_keeps_a_session_alive_until_the_absolute_timeout(users: Users) -> None:
    store = SessionStore(users.engine, SessionPolicy(reviewer_idle_s=900, absolute_s=8 * 3600, touch_every_s=0))
    token = store.create(uid(users, "rev"))
    for _ in range(3):
        age(users, token, seconds=800)
        assert store.lookup(token) is not None     # each lookup counts as activity
    age(users, token, hours=8)
    assert store.lookup(token) is None


def test_logout_and_disable_end_sessions(users: Users) -> None:
    store = SessionStore(users.engine)
    a, b = store.create(uid(users, "rev")), store.create(uid(users, "rev"))
    store.end(a)
    assert store.lookup(a) is None and store.lookup(b) is not None
    users.set_password("rev", "a brand new password")
    assert store.lookup(b) is None


def test_a_page_view_reads_its_session_without_the_write_lock(users: Users, tmp_path: Path) -> None:
    """While the gate holds SQLite's write lock, a staff page still finds its session at once;
    only the occasional 'last seen' touch has to write."""
    import sqlite3
    import time

    store = SessionStore(users.engine)
    token = store.create(uid(users, "rev"))
    gate = sqlite3.connect(tmp_path / "gate.db", timeout=0.1, isolation_level=None)
    gate.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        found = store.lookup(token)
        assert found is not None and found.username == "rev"
        assert time.monotonic() - started < 2.0   # no wait for the busy timeout
    finally:
        gate.execute("ROLLBACK")
        gate.close()
