"""User accounts: add, change password, disable, list, and check a login.

Used by `intake users ...` and by the login page. Usernames are case-folded so "Li" and "li"
are one account.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.auth.passwords import Passwords
from intake.auth.tables import ROLES, Role, User
from intake.store.tables import utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class UserError(ValueError):
    """A request the user store refuses; the message says why."""


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    role: Role
    disabled: bool
    created_at: datetime


def normalise(username: str) -> str:
    return username.strip().casefold()


def _info(user: User) -> UserInfo:
    assert user.id is not None
    return UserInfo(user.id, user.username, user.role, user.disabled, user.created_at)  # type: ignore[arg-type]


class Users:
    def __init__(self, engine: Engine, passwords: Passwords | None = None) -> None:
        self.engine = engine
        self.passwords = passwords or Passwords()

    def add(self, username: str, password: str, role: str) -> UserInfo:
        name = normalise(username)
        if not USERNAME.match(name):
            raise UserError("username: 2-64 of a-z 0-9 . _ -, starting with a letter or digit")
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}")
        digest = self.passwords.hash(password)
        with Session(self.engine) as session:
            if session.exec(select(User).where(User.username == name)).first() is not None:
                raise UserError(f"user {name!r} exists")
            user = User(username=name, password_hash=digest, role=role)
            session.add(user)
            session.commit()
            session.refresh(user)
            return _info(user)

    def set_password(self, username: str, password: str) -> None:
        digest = self.passwords.hash(password)
        self._update(username, password_hash=digest, password_changed_at=utcnow())

    def set_disabled(self, username: str, disabled: bool = True) -> None:
        self._update(username, disabled=disabled)

    def _update(self, username: str, **values: object) -> None:
        # Ending the user's sessions here too means a new password or a disable takes effect
        # at once, not at the next timeout.
        from intake.auth.sessions import end_sessions_of

        with Session(self.engine) as session:
            user = session.exec(select(User).where(User.username == normalise(username))).first()
            if user is None:
                raise UserError(f"no user {normalise(username)!r}")
            for key, value in values.items():
                setattr(user, key, value)
            session.add(user)
            assert user.id is not None
            end_sessions_of(session, user.id)
            session.commit()

    def list(self) -> list[UserInfo]:
        with Session(self.engine) as session:
            return [_info(u) for u in session.exec(select(User).order_by(User.username))]

    def get(self, user_id: int) -> UserInfo | None:
        with Session(self.engine) as session:
            user = session.get(User, user_id)
            return _info(user) if user is not None else None

    def authenticate(self, username: str, password: str) -> UserInfo | None:
        """The user if the password is right and the account enabled; None otherwise.
        Takes the same time for unknown users (a dummy hash is verified)."""
        with Session(self.engine) as session:
            user = session.exec(select(User).where(User.username == normalise(username))).first()
            ok = self.passwords.verify(user.password_hash if user else None, password)
            if not ok or user is None or user.disabled:
                return None
            if self.passwords.needs_rehash(user.password_hash):
                user.password_hash = self.passwords.hasher.hash(password)
                session.add(user)
                session.commit()
                session.refresh(user)
            return _info(user)
