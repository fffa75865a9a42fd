"""Server-side sessions per the OWASP session cheat sheet.

- The cookie carries 256 random bits (secrets.token_urlsafe(32)); the database keeps only their
  SHA-256, so the session can be ended server-side and a database copy grants nothing.
- A new ID at every login (the old one, if any, is deleted): no fixation.
- Idle timeout per role (admin shorter) and an absolute timeout from login.
- Each session has its own CSRF token (synchronizer pattern).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, update

from intake.auth.tables import AuthSession, User
from intake.store.db import read_only
from intake.store.tables import utcnow


@dataclass(frozen=True)
class SessionPolicy:
    reviewer_idle_s: float = 15 * 60
    admin_idle_s: float = 5 * 60
    absolute_s: float = 8 * 3600
    touch_every_s: float = 30.0   # last-seen is written at most this often (one write, not one per request)

    def idle_s(self, role: str) -> float:
        return self.admin_idle_s if role == "admin" else self.reviewer_idle_s


@dataclass(frozen=True)
class Principal:
    """Who is asking: the user behind a valid session."""
    user_id: int
    username: str
    role: str
    csrf_token: str
    token_hash: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _aware(moment: datetime) -> datetime:
    # SQLite hands datetimes back without a zone; every one we store is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def end_sessions_of(session: Session, user_id: int) -> None:
    session.exec(delete(AuthSession).where(col(AuthSession.user_id) == user_id))


class SessionStore:
    def __init__(self, engine: Engine, policy: SessionPolicy | None = None) -> None:
        self.engine = engine
        self.policy = policy or SessionPolicy()

    def create(self, user_id: int, replacing: str | None = None) -> str:
        """Start a session; returns the cookie value. `replacing` (a cookie the browser sent)
        is ended first, so a planted ID can never become a logged-in one."""
        token = secrets.token_urlsafe(32)
        with Session(self.engine) as session:
            if replacing:
                session.exec(delete(AuthSession).where(col(AuthSession.token_hash) == token_hash(replacing)))
            session.add(AuthSession(token_hash=token_hash(token), user_id=user_id,
                                    csrf_token=secrets.token_urlsafe(32)))
            session.commit()
        return token

    def lookup(self, token: str | None) -> Principal | None:
        """The principal for a cookie value, or None when unknown, expired or the user disabled.
        An expired session is deleted on the spot."""
        if not token or len(token) > 128:
            return None
        digest = token_hash(token)
        now = utcnow()
        # Every staff page asks this: read without the write lock (intake.store.db.read_only),
        # and write only for the rare expiry or "last seen" touch, in its own short transaction.
        with Session(read_only(self.engine)) as session:
            row = session.get(AuthSession, digest)
            user = session.get(User, row.user_id) if row is not None else None
            if row is None or user is None:
                return None
            idle = now - _aware(row.last_seen_at)
            age = now - _aware(row.created_at)
            expired = (user.disabled or idle > timedelta(seconds=self.policy.idle_s(user.role))
                       or age > timedelta(seconds=self.policy.absolute_s))
            stale = idle > timedelta(seconds=self.policy.touch_every_s)
            assert user.id is not None
            principal = Principal(user.id, user.username, user.role, row.csrf_token, digest)
        if expired:
            self._forget(digest)
            return None
        if stale:
            with Session(self.engine) as session:
                session.exec(update(AuthSession).where(col(AuthSession.token_hash) == digest)
                             .values(last_seen_at=now))
                session.commit()
        return principal

    def _forget(self, digest: str) -> None:
        with Session(self.engine) as session:
            session.exec(delete(AuthSession).where(col(AuthSession.token_hash) == digest))
            session.commit()

    def end(self, token: str | None) -> None:
        if not token:
            return
        self._forget(token_hash(token))

    def sweep(self) -> int:
        """Delete sessions past the absolute timeout; returns how many."""
        cutoff = utcnow() - timedelta(seconds=self.policy.absolute_s)
        with Session(self.engine) as session:
            result = session.exec(delete(AuthSession).where(col(AuthSession.created_at) < cutoff))
            session.commit()
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
