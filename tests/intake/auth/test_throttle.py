"""Login throttling: atomic per reservation, slows rather than locks, an admin can unlock."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from intake.auth.throttle import LoginThrottle, ThrottlePolicy, delay_s
from intake.store.db import open_engine

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
POLICY = ThrottlePolicy(free_user_failures=5, free_client_failures=20, base_delay_s=1.0,
                        max_user_delay_s=30.0, max_client_delay_s=900.0)


@pytest.fixture
def throttle(tmp_path: Path) -> LoginThrottle:
    return LoginThrottle(open_engine(f"sqlite:///{tmp_path / 'gate.db'}"), POLICY)


def fail(throttle: LoginThrottle, user: str, client: str, now: datetime) -> bool:
    verdict = throttle.reserve(user, client, now=now)
    if verdict.allowed:
        throttle.settle(verdict, ok=False)
    return verdict.allowed


def test_delay_doubles_after_the_free_failures_and_is_capped() -> None:
    assert [delay_s(n, free=5, base=1.0, cap=30.0) for n in (0, 4, 5, 6, 7, 9, 20)] == [0, 0, 1, 2, 4, 16, 30]


def test_parallel_wrong_passwords_get_exactly_the_free_attempts(throttle: LoginThrottle) -> None:
    start = threading.Barrier(30)
    allowed: list[bool] = []

    def attempt() -> None:
        start.wait()
        allowed.append(fail(throttle, "rev", "10.0.0.1", T0))

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(allowed) == [False] * 25 + [True] * 5


def test_an_account_is_slowed_not_locked(throttle: LoginThrottle) -> None:
    for _ in range(5):
        assert fail(throttle, "adm", "10.6.6.6", T0)
    refused = throttle.reserve("adm", "10.0.0.2", now=T0)
    assert not refused.allowed and refused.retry_after_s == pytest.approx(1.0)
    # An attacker hammering keeps the account at most max_user_delay_s away, never 15 minutes.
    now = T0
    for _ in range(12):
        now += timedelta(seconds=31)
        fail(throttle, "adm", f"10.6.6.{_}", now)
    owner = throttle.reserve("adm", "10.0.0.2", now=now + timedelta(seconds=30))
    assert owner.allowed


def test_a_client_spraying_accounts_is_slowed_further(throttle: LoginThrottle) -> None:
    now = T0
    for i in range(20):
        assert fail(throttle, f"user{i}", "10.6.6.6", now)
    for i in range(4):   # each wait doubles: 1, 2, 4, 8 s
        now += timedelta(seconds=2 ** i)
        assert fail(throttle, f"next{i}", "10.6.6.6", now)
    early = throttle.reserve("other", "10.6.6.6", now=now + timedelta(seconds=15))
    assert not early.allowed and early.retry_after_s == pytest.approx(1.0)
    assert throttle.reserve("other", "10.0.0.2", now=now).allowed    # other clients are not held


def test_a_good_login_forgives_the_account_and_an_admin_can_unlock(throttle: LoginThrottle) -> None:
    for _ in range(6):
        fail(throttle, "rev", "10.0.0.1", T0)
    assert not throttle.reserve("rev", "10.0.0.3", now=T0).allowed
    assert throttle.unlock("REV") >= 5
    good = throttle.reserve("rev", "10.0.0.3", now=T0)
    assert good.allowed
    throttle.settle(good, ok=True)
    for _ in range(5):
        assert fail(throttle, "rev", "10.0.0.4", T0)


def test_old_failures_fall_out_of_the_window(throttle: LoginThrottle) -> None:
    for _ in range(8):
        fail(throttle, "rev", "10.0.0.1", T0)
    later = T0 + timedelta(seconds=POLICY.window_s + 1)
    assert throttle.reserve("rev", "10.0.0.1", now=later).allowed
