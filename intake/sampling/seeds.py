"""The life of a daily seed: generated and committed the day before, used all day, revealed after.

At a site's first selection of day D (`start_day`): every earlier day's seed is revealed, D's
seed is made and committed now if it does not exist yet (the very first day, or after a day with
no trucks: its commitment is then not "in advance", which the audit reports), and the seed of
D+1 is generated and its commitment published. So on any ordinary day the seed in use was
committed before the day began.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from intake.sampling.keyed import commitment, new_seed, seed_from_hex
from intake.sampling.tables import SamplingSeed, SeedCommitment, SeedReveal


class SeedError(RuntimeError):
    pass


def day_of(moment: datetime, tz: str) -> date:
    """The sampling day a moment belongs to: the local date in the site's time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)   # the store's timestamps are UTC
    return moment.astimezone(ZoneInfo(tz)).date()


def day_start(day: date, tz: str) -> datetime:
    """Local midnight that begins `day`, in UTC."""
    return datetime.combine(day, datetime.min.time(), ZoneInfo(tz)).astimezone(timezone.utc)


def start_day(engine: Engine, site: str, day: date, now: datetime) -> bytes:
    """Make sure `day` has a committed seed and the next day's commitment is out; return the seed.
    `now` (UTC) stamps what this writes."""
    reveal_before(engine, site, day, now)
    seed = _ensure_seed(engine, site, day, now)
    _ensure_seed(engine, site, day + timedelta(days=1), now)
    return seed


def _ensure_seed(engine: Engine, site: str, day: date, now: datetime) -> bytes:
    key = day.isoformat()
    found = _seed_row(engine, site, key)
    if found is not None:
        return seed_from_hex(found.seed_hex)
    seed = new_seed()
    try:
        with Session(engine) as session:   # seed and commitment commit together or not at all
            session.add(SamplingSeed(site=site, day=key, seed_hex=seed.hex(), created_at=now))
            session.add(SeedCommitment(site=site, day=key, sha256=commitment(seed), committed_at=now))
            session.commit()
        return seed
    except IntegrityError:                 # another lane made it first: use theirs
        found = _seed_row(engine, site, key)
        if found is None:
            raise
        return seed_from_hex(found.seed_hex)


def _seed_row(engine: Engine, site: str, day: str) -> SamplingSeed | None:
    with Session(engine) as session:
        return session.exec(select(SamplingSeed).where(SamplingSeed.site == site, SamplingSeed.day == day)).first()


def reveal(engine: Engine, site: str, day: date, now: datetime | None = None) -> SeedReveal:
    """Publish a day's seed (idempotent). The caller makes sure the day is over."""
    key = day.isoformat()
    with Session(engine) as session:
        done = session.exec(select(SeedReveal).where(SeedReveal.site == site, SeedReveal.day == key)).first()
        if done is not None:
            return done
        row = session.exec(select(SamplingSeed).where(SamplingSeed.site == site, SamplingSeed.day == key)).first()
        if row is None:
            raise SeedError(f"site {site!r} has no seed for {key}")
        published = SeedReveal(site=site, day=key, seed_hex=row.seed_hex,
                               revealed_at=(now or datetime.now(timezone.utc)).astimezone(timezone.utc))
        session.add(published)
        session.commit()
        session.refresh(published)
        return published


def reveal_before(engine: Engine, site: str, day: date, now: datetime) -> list[SeedReveal]:
    """Reveal every seed of `site` for days before `day` that is still secret."""
    with Session(engine) as session:
        secret_days = session.exec(
            select(SamplingSeed.day).where(SamplingSeed.site == site, SamplingSeed.day < day.isoformat(),
                                           col(SamplingSeed.day).not_in(
                                               select(SeedReveal.day).where(SeedReveal.site == site)))
        ).all()
    return [reveal(engine, site, date.fromisoformat(d), now) for d in secret_days]


def sites_with_seed(engine: Engine, day: date) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(SamplingSeed.site).where(SamplingSeed.day == day.isoformat())).all())


def published(engine: Engine, site: str, day: date) -> tuple[SeedCommitment | None, SeedReveal | None]:
    key = day.isoformat()
    with Session(engine) as session:
        com = session.exec(select(SeedCommitment).where(SeedCommitment.site == site, SeedCommitment.day == key)).first()
        rev = session.exec(select(SeedReveal).where(SeedReveal.site == site, SeedReveal.day == key)).first()
        return com, rev
