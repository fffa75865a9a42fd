"""Auth tables: users, server-side sessions and login attempts.

Sessions and attempts are operational state, not records: a session row is deleted at logout
and expired rows are swept. Users are never deleted, only disabled, so every review keeps a
resolvable author.
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from intake.store.tables import utcnow

Role = Literal["reviewer", "attendant", "admin"]
ROLES: tuple[Role, ...] = ("reviewer", "attendant", "admin")


class User(SQLModel, table=True):
    __tablename__ = "auth_user"
    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True, max_length=64)
    password_hash: str
    role: str                                    # Role
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A logged-in browser. Only the SHA-256 of the cookie value is stored, so a copy of the
    database does not hand out live sessions."""
    __tablename__ = "auth_session"
    token_hash: str = Field(primary_key=True)
    user_id: int = Field(foreign_key="auth_user.id", index=True)
    csrf_token: str
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class LoginAttempt(SQLModel, table=True):
    __tablename__ = "auth_login_attempt"
    __table_args__ = (
        Index("ix_auth_login_attempt_user_at", "username", "at"),
        Index("ix_auth_login_attempt_client_at", "client", "at"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    username: str
    client: str                                  # remote address as the server saw it
    ok: bool
    at: datetime = Field(default_factory=utcnow)

