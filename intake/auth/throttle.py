"""Login throttling that slows guessing down without letting anyone lock an account.

Each attempt first takes a reservation: one transaction, under a lock, that checks the delays
and records the attempt as a failure before the password is hashed, so N parallel requests
cannot all pass a check that none of them has yet counted. The reservation is settled after
the check: a good login turns it into a success and forgives the account's failures.

Delays, not lockouts: after `free_*` failures in the window each further attempt must wait
base * 2**(extra failures) after the last one, capped. The per-account cap is short (seconds),
so a stranger's bad passwords only slow the owner; the per-client cap is long, so the stranger
is the one held up. An admin can clear an account's failures at once (/admin/users).
Counted in the database so it holds across workers and restarts.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from intake.auth.tables import LoginAttempt
from intake.auth.users import normalise
from intake.store.tables import utcnow


@dataclass(frozen=True)
class ThrottlePolicy:
    window_s: float = 15 * 60
    free_user_failures: int = 5       # per username before delays start: stops guessing one account
    free_client_failures: int = 20    # per client address: stops spraying many accounts
    base_delay_s: float = 1.0
    max_user_delay_s: float = 30.0    # the owner waits at most this long, whoever failed
    max_client_delay_s: float = 15 * 60


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: float = 0.0
    attempt_id: int | None = None


def delay_s(failures: int, *, free: int, base: float, cap: float) -> float:
    """The wait after the last failure, once `failures` are on record."""
    if failures < free:
        return 0
    return min(cap, base * 2 ** min(failures - free, 40))


def _aware(at: datetime) -> datetime:
    # SQLite hands stored times back without their zone; they were written in UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


class LoginThrottle:
    def __init__(self, engine: Engine, policy: ThrottlePolicy | None = None) -> None:
        self.engine = engine
        self.policy = policy or ThrottlePolicy()
        # One reservation at a time in this process; SQLite's BEGIN IMMEDIATE (see store.db)
        # serialises them across processes.
        self._lock = threading.Lock()

    def _wait(self, session: Session, column: object, value: str, now: datetime, free: int, cap: float) -> float:
        since = now - timedelta(seconds=self.policy.window_s)
        count, last = session.exec(select(func.count(), func.max(LoginAttempt.at)).where(
            column == value, col(LoginAttempt.at) >= since, col(LoginAttempt.ok).is_(False))).one()
        wait = delay_s(int(count), free=free, base=self.policy.base_delay_s, cap=cap)
        if not wait or last is None:
            return 0.0
        return max(0.0, (_aware(last) + timedelta(seconds=wait) - now).total_seconds())

    def reserve(self, username: str, client: str, now: datetime | None = None) -> Verdict:
        """May this attempt go ahead? If so it is already counted as a failure until settled."""
        now = _aware(now or utcnow())
        name, client = normalise(username)[:64], client[:64]
        p = self.policy
        with self._lock, Session(self.engine) as session:
            wait = max(self._wait(session, LoginAttempt.username, name, now, p.free_user_failures, p.max_user_delay_s),
                       self._wait(session, LoginAttempt.client, client, now, p.free_client_failures,
                                  p.max_client_delay_s))
            if wait > 0:
                return Verdict(False, wait)
            attempt = LoginAttempt(username=name, client=client, ok=False, at=now)
            session.add(attempt)
            session.exec(delete(LoginAttempt).where(col(LoginAttempt.at) < now - timedelta(seconds=p.window_s * 4)))
            session.commit()
            return Verdict(True, 0.0, attempt.id)

    def settle(self, verdict: Verdict, ok: bool) -> None:
        """After the password check: a good login forgives the account's failures (not the client's)."""
        if not ok or verdict.attempt_id is None:
            return  # the reservation already counts as the failure
        with self._lock, Session(self.engine) as session:
            attempt = session.get(LoginAttempt, verdict.attempt_id)
            if attempt is None:
                return
            attempt.ok = True
            session.add(attempt)
            session.exec(delete(LoginAttempt).where(
                col(LoginAttempt.username) == attempt.username, col(LoginAttempt.ok).is_(False)))
            session.commit()

    def unlock(self, username: str) -> int:
        """Clear an account's failures (an admin's action); returns how many were cleared."""
        with self._lock, Session(self.engine) as session:
            result = session.exec(delete(LoginAttempt).where(
                col(LoginAttempt.username) == normalise(username), col(LoginAttempt.ok).is_(False)))
            session.commit()
            return int(result.rowcount or 0)
