"""Login throttling: too many failures for one username, or from one client, within a window
lock further attempts out until the window has passed. Counted in the database so it holds
across workers and restarts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from intake.auth.tables import LoginAttempt
from intake.store.tables import utcnow


@dataclass(frozen=True)
class ThrottlePolicy:
    window_s: float = 15 * 60
    max_user_failures: int = 5       # per username: stops guessing one account
    max_client_failures: int = 20    # per client address: stops spraying many accounts


class LoginThrottle:
    def __init__(self, engine: Engine, policy: ThrottlePolicy | None = None) -> None:
        self.engine = engine
        self.policy = policy or ThrottlePolicy()

    def blocked(self, username: str, client: str) -> bool:
        since = utcnow() - timedelta(seconds=self.policy.window_s)
        with Session(self.engine) as session:
            def failures(column: object, value: str) -> int:
                query = select(func.count()).select_from(LoginAttempt).where(
                    column == value, col(LoginAttempt.at) >= since, col(LoginAttempt.ok).is_(False))
                return int(session.exec(query).one())

            return (failures(LoginAttempt.username, username) >= self.policy.max_user_failures
                    or failures(LoginAttempt.client, client) >= self.policy.max_client_failures)

    def record(self, username: str, client: str, ok: bool) -> None:
        with Session(self.engine) as session:
            session.add(LoginAttempt(username=username[:64], client=client[:64], ok=ok))
            if ok:
                # A good login forgives this account's earlier failures (not the client's).
                session.exec(delete(LoginAttempt).where(
                    col(LoginAttempt.username) == username, col(LoginAttempt.ok).is_(False)))
            cutoff = utcnow() - timedelta(seconds=self.policy.window_s * 4)
            session.exec(delete(LoginAttempt).where(col(LoginAttempt.at) < cutoff))
            session.commit()
