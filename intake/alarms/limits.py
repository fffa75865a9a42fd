"""The pure parts of the outbox: the rate limit and the retry schedule."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from intake.alarms.config import Backoff


def held(last_sent: datetime | None, now: datetime, every_min: float) -> bool:
    """True when an alarm of this rule and lane went out less than `every_min` minutes ago."""
    return last_sent is not None and every_min > 0 and now - last_sent < timedelta(minutes=every_min)


def retry_delay_s(attempts: int, backoff: Backoff) -> float:
    """Seconds before the next try after `attempts` failed ones: first_s, 2x, 4x ... up to max_s."""
    return float(min(backoff.first_s * 2 ** min(max(attempts - 1, 0), 40), backoff.max_s))


def given_up(raised_at: datetime, now: datetime, backoff: Backoff) -> bool:
    return now - raised_at >= timedelta(hours=backoff.give_up_h)


def aware(at: datetime) -> datetime:
    """SQLite hands some datetimes back naive; the gate writes them all as UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)
