"""Exact review-queue counts that stay fast at a million inspections.

An exact COUNT under the queue's filters touches every queue item (about a fifth of all
decisions) and probes the review and visit tables for each; at 1,000,000 inspections that is
seconds. The records are append-only, so the counts are kept instead: buckets keyed by day,
supplier, material, verdict, label and reviewed-or-not, brought up to date on each read from the
decisions and reviews recorded since the last one (ids only grow; each catch-up reads one
snapshot). Any filter is then a sum over at most the buckets of its days.

The days are the site's (`zone`, sampling.timezone), as the queue shows them: outside UTC the
decisions are read per UTC hour and each hour lands on its local day (exact for zones whose
offset is whole hours, as China's is).

Kept in memory per process, read through a read-only engine: no table to migrate, no write lock
taken by a reviewer. SQLite only (it hands out ids in commit order); on another database the
counts come from reviews.queue_counts, the exact SQL they are tested against.
"""
from __future__ import annotations

import bisect
import logging
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from typing import Any, Final, NamedTuple

from sqlalchemy import and_, exists, false, func, select, union
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from intake.store import reviews
from intake.store.reviews import BROWSE_VERDICTS, QUEUE_VERDICTS, QueueCounts, QueueFilter, Review
from intake.store.spotchecks import SpotCheck, flagged_visits, touched
from intake.store.tables import Decision, DeliveryOrder, Material, Supplier, Visit

log = logging.getLogger(__name__)


class Key(NamedTuple):
    supplier: str
    material: str
    verdict: str
    label: str | None
    reviewed: bool


def _day(value: Any, zone: ZoneInfo | None = None) -> date:
    """A bucket's day: SQLite's date() text (UTC), or with `zone` its "YYYY-MM-DD HH" UTC
    hour, turned into the zone's day."""
    if zone is not None:
        hour = datetime.strptime(str(value), "%Y-%m-%d %H").replace(tzinfo=timezone.utc)
        return hour.astimezone(zone).date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class QueueCounter:
    def __init__(self, engine: Engine, zone: str = "UTC") -> None:
        self.engine = engine
        self.zone = None if zone == "UTC" else ZoneInfo(zone)   # None: buckets are UTC days
        self._lock = threading.Lock()
        self._by_day: dict[date, Counter[Key]] = {}
        self._days: list[date] = []          # sorted keys of _by_day
        self._by_month: dict[date, Counter[Key]] = {}   # keyed by the month's first day
        self._all: Counter[Key] = Counter()
        self._decision_mark = 0              # decisions with id <= mark are counted
        self._review_mark = 0
        self._check_mark = 0                 # spot-checks: a spot-checked load is "reviewed" too

    def warm_up(self) -> None:
        """Build the counts in the background at start (one pass over the queue: seconds at a
        million inspections), so the first reviewer does not wait for it."""
        def run() -> None:
            try:
                self.counts(QueueFilter())
            except Exception:   # the first page view will try again, and show the error
                log.exception("building the queue counts failed")

        threading.Thread(target=run, name="queue-counts", daemon=True).start()

    def counts(self, f: QueueFilter, facets: dict[str, Counter[str | None]] | None = None) -> QueueCounts:
        """Per verdict under every filter but the verdict one (they label the verdict tabs);
        from `facets` when the caller has them for the same filter."""
        if self.engine.dialect.name != "sqlite" or f.search:
            return reviews.queue_counts(self.engine, f)
        by_verdict = (facets or self.facets(f))["verdict"]
        return QueueCounts.of(f, {str(v): n for v, n in by_verdict.items()})

    def facets(self, f: QueueFilter) -> dict[str, Counter[str | None]]:
        """For each of verdict, supplier, material and label: the items per value under every
        filter but that one (what choosing that value would show). SQLite only."""
        out: dict[str, Counter[str | None]] = {name: Counter() for name in FACETS}
        if self.engine.dialect.name != "sqlite" or f.search:
            return out     # a search's matches are few: counted exactly, without choice counts
        if f.status == "flagged":
            return _fold(out, f, self._flagged(f))
        with self._lock:
            self._catch_up()
            return _fold(out, f, ((key, n) for key, n in self._buckets(f) if key.reviewed in _statuses(f)))

    def _flagged(self, f: QueueFilter) -> list[tuple[Key, int]]:
        """Flagged loads are few (a spot-check disagreed, no review yet): counted from SQL."""
        hourly = self.zone is not None
        with Session(self.engine) as session:
            rows = session.execute(_grouped(None, col(Decision.visit_id).in_(flagged_visits()), hourly=hourly)).all()
        return [(Key(*key[:4], False), n) for d, *key, n in rows
                if (f.date_from or date.min) <= _day(d, self.zone) <= (f.date_to or date.max)]

    def _buckets(self, f: QueueFilter) -> Iterator[tuple[Key, int]]:
        """The buckets of the filter's days: whole months from the month sums, the days of a
        month the range cuts from the day buckets (a year is ~12 + 60 sums, not 365)."""
        if f.date_from is None and f.date_to is None:
            yield from self._all.items()
            return
        if not self._days:
            return
        day, last = max(f.date_from or self._days[0], self._days[0]), min(f.date_to or self._days[-1], self._days[-1])
        while day <= last:
            month = day.replace(day=1)
            end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            if day == month and end <= last:
                yield from self._by_month.get(month, Counter()).items()
            else:
                for d in (day + timedelta(days=i) for i in range((min(end, last) - day).days + 1)):
                    yield from self._by_day.get(d, Counter()).items()
            day = end + timedelta(days=1)

    def _add(self, day: date, key: Key, n: int) -> None:
        bucket = self._by_day.get(day)
        if bucket is None:
            bucket = self._by_day[day] = Counter()
            bisect.insort(self._days, day)
        bucket[key] += n
        self._by_month.setdefault(day.replace(day=1), Counter())[key] += n
        self._all[key] += n

    def _catch_up(self) -> None:
        """Absorb what was recorded since the last call, all from one read snapshot."""
        with Session(self.engine) as session:
            top_decision = session.execute(select(func.max(Decision.id))).scalar() or 0
            top_review = session.execute(select(func.max(Review.id))).scalar() or 0
            top_check = session.execute(select(func.max(SpotCheck.id))).scalar() or 0
            marks = (self._decision_mark, self._review_mark, self._check_mark)
            if (top_decision, top_review, top_check) == marks:
                return
            hourly = self.zone is not None
            if self._decision_mark == 0:
                # The first build: every decision as not looked at, then the few looked-at visits
                # moved, instead of two look-ups per decision (a million of them at a large site).
                added = session.execute(_grouped(None, col(Decision.id) <= top_decision, hourly=hourly)).all()
                marks = (top_decision, 0, 0)
            else:
                added = session.execute(_new_decisions(self._decision_mark, top_decision, hourly)).all()
            moved = session.execute(_newly_reviewed(marks, (top_review, top_check), hourly)).all()
        # Applied only once both reads succeeded, so a failed read counts nothing twice.
        for day, *key, n in added:
            self._add(_day(day, self.zone), Key(*key[:4], bool(key[4])), n)
        for day, *key, n in moved:
            # Counted as pending before; the visit's first review makes them reviewed.
            self._add(_day(day, self.zone), Key(*key[:4], False), -n)
            self._add(_day(day, self.zone), Key(*key[:4], True), n)
        self._decision_mark, self._review_mark, self._check_mark = top_decision, top_review, top_check


FACETS: Final[tuple[str, ...]] = ("verdict", "supplier", "material", "label")


def _statuses(f: QueueFilter) -> tuple[bool, ...]:
    return {"pending": (False,), "reviewed": (True,)}.get(f.status, (False, True))


def _matches(f: QueueFilter, name: str, key: Key) -> bool:
    wanted, value = getattr(f, name), getattr(key, name)
    if name == "verdict" and wanted is None:
        return value in QUEUE_VERDICTS      # no verdict chosen: the queue's own, not PASS
    return wanted is None or wanted == value


def _fold(out: dict[str, Counter[str | None]], f: QueueFilter,
          buckets: Iterator[tuple[Key, int]] | list[tuple[Key, int]]) -> dict[str, Counter[str | None]]:
    """Each bucket counts for every facet if it passes every filter, or for the one facet
    whose own filter alone excludes it (what choosing that facet's value would show)."""
    for key, n in buckets:
        if not n:
            continue
        misses = [name for name in FACETS if not _matches(f, name, key)]
        if not misses:
            for name in FACETS:
                out[name][getattr(key, name)] += n
        elif len(misses) == 1:
            out[misses[0]][getattr(key, misses[0])] += n
    return out


def _grouped(reviewed: Any, *where: Any, hourly: bool = False) -> Any:
    """(day, supplier, material, verdict, label, reviewed, n) over gate queue decisions;
    `reviewed` is an expression per row, or None for a constant False. `hourly`: the UTC hour
    ("YYYY-MM-DD HH") in place of the day."""
    constant = reviewed is None
    day = func.strftime("%Y-%m-%d %H", col(Decision.decided_at)) if hourly else func.date(col(Decision.decided_at))
    written_by_review = exists().where(col(Review.decision_id) == col(Decision.id))
    return (
        select(day, Supplier.code, Material.code, Decision.verdict, Decision.label,
               false() if constant else reviewed, func.count())
        .join(Visit, col(Visit.id) == col(Decision.visit_id))
        .join(DeliveryOrder, col(DeliveryOrder.id) == col(Visit.order_id))
        .join(Supplier, col(Supplier.id) == col(DeliveryOrder.supplier_id))
        .join(Material, col(Material.id) == col(DeliveryOrder.material_id))
        .where(col(Decision.verdict).in_(BROWSE_VERDICTS), ~written_by_review, *where)
        .group_by(day, Supplier.code, Material.code, Decision.verdict, Decision.label,
                  *([] if constant else [reviewed]))
    )


def _new_decisions(after: int, upto: int, hourly: bool = False) -> Any:
    return _grouped(touched(col(Decision.visit_id)), col(Decision.id) > after, col(Decision.id) <= upto, hourly=hourly)


def _newly_reviewed(marks: tuple[int, int, int], tops: tuple[int, int], hourly: bool = False) -> Any:
    """Counted decisions (id <= the decision mark) of visits first looked at since the marks:
    a review or spot-check in (mark, top], and none at or before the marks."""
    decisions_upto, review_mark, check_mark = marks
    old_review, old_check = aliased(Review), aliased(SpotCheck)
    new = union(
        select(Review.visit_id).where(col(Review.id) > review_mark, col(Review.id) <= tops[0]),
        select(SpotCheck.visit_id).where(col(SpotCheck.id) > check_mark, col(SpotCheck.id) <= tops[1])).subquery()
    visit = new.c[0]
    first_now = select(visit).where(
        ~exists().where(and_(old_review.visit_id == visit, old_review.id <= review_mark)),
        ~exists().where(and_(old_check.visit_id == visit, old_check.id <= check_mark)))
    return _grouped(None, col(Decision.id) <= decisions_upto, col(Decision.visit_id).in_(first_now), hourly=hourly)
