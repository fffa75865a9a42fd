"""What the supplier page counts, per supplier, material and month: trucks, sampled loads, the
gate's quality rejections and holds, and apart from those the anti-cheat holds.

Counted per visit, not per decision: a load held at its weigh-out for a tare that does not
match has two gate decisions (the inspection's, then the hold) and is one truck. The quality
outcome is the visit's first decision (the inspection's, or the void of a weighing that never
settled); an anti-cheat hold is any gate decision carrying an anti-cheat reason (a repeat
weighing, a tare or identity that does not match the record): those say something about a
supplier's honesty, not about its material, so they are not a reject rate's business.
Reviews' own decisions are never counted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import String, case, cast, exists, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from intake.store.reviews import Review
from intake.store.tables import Decision, DeliveryOrder, Material, Sample, Supplier, Visit

# The gate's anti-cheat findings (intake.store.records checks_at_admission / checks_at_weigh_out);
# an identification check that holds a load adds its code here.
ANTI_CHEAT: Final[frozenset[str]] = frozenset({"repeat_weighing", "tare_mismatch", "stored_tare_expired"})


@dataclass(frozen=True)
class RateRow:
    supplier: str          # code
    supplier_name: str     # from master data
    material: str          # code
    material_name: str     # master data's Chinese name, then its own (the code where there is none)
    month: str             # YYYY-MM, the site's month
    trucks: int
    sampled: int
    rejected: int          # the gate's quality verdict REJECT
    held: int              # the gate's quality verdict REVIEW, for a reason that is not anti-cheat
    anti_cheat: int        # loads held by an anti-cheat check

    @property
    def reject_rate(self) -> float:
        return self.rejected / self.sampled if self.sampled else 0.0

    @property
    def key(self) -> str:
        return f"{self.supplier_name} / {self.material_name}"


def has_anti_cheat(reasons: Any) -> Any:
    """The JSON reason list names an anti-cheat code (the codes are ASCII words, quoted in it)."""
    text = cast(reasons, String)
    return or_(*(text.like(f'%"{code}"%') for code in sorted(ANTI_CHEAT)))


def _month(engine: Engine, column: Any, zone: str, at: date) -> Any:
    if engine.dialect.name == "sqlite":
        # SQLite knows no zones: the zone's offset at the window's start (a plant's zone rarely
        # moves; China's never does).
        start = datetime.combine(at, time(12), tzinfo=ZoneInfo(zone))
        minutes = int((start.utcoffset() or timedelta()).total_seconds() // 60)
        return func.strftime("%Y-%m", column, f"{minutes:+d} minutes")
    return func.to_char(func.timezone(zone, column), "YYYY-MM")


def _day_start(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def reject_rates(engine: Engine, since: date, until: date, zone: str = "UTC") -> list[RateRow]:
    """Per supplier, material and month (the site's, `zone`) of the visits opened in
    [since, until]: trucks, sampled, quality rejections and holds, anti-cheat holds."""
    month = _month(engine, col(Visit.opened_at), zone, since).label("month")
    first_id = (select(func.min(Decision.id)).where(col(Decision.visit_id) == col(Visit.id))
                .correlate(Visit).scalar_subquery())
    first = aliased(Decision)
    later = aliased(Decision)
    by_review = exists().where(col(Review.decision_id) == later.id)
    anti = exists().where(col(later.visit_id) == col(Visit.id), has_anti_cheat(later.reasons), ~by_review)
    sampled = exists().where(col(Sample.visit_id) == col(Visit.id))
    quality_hold = (first.verdict == "review") & ~has_anti_cheat(first.reasons)

    def tally(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    query = (
        select(col(Supplier.code), col(Supplier.name), col(Material.code), col(Material.name_zh), col(Material.name),
               month, func.count(),
               tally(sampled), tally(first.verdict == "reject"), tally(quality_hold), tally(anti))
        .join(DeliveryOrder, col(DeliveryOrder.id) == col(Visit.order_id))
        .join(Supplier, col(Supplier.id) == col(DeliveryOrder.supplier_id))
        .join(Material, col(Material.id) == col(DeliveryOrder.material_id))
        .outerjoin(first, col(first.id) == first_id)
        .where(col(Visit.opened_at) >= _day_start(since, zone),
               col(Visit.opened_at) < _day_start(until + timedelta(days=1), zone))
        .group_by(Supplier.code, Supplier.name, Material.code, Material.name_zh, Material.name, month)
        .order_by(Supplier.code, Material.code, month)
    )
    with Session(engine) as session:
        return [RateRow(s, sn or s, m, " ".join(w for w in (zh, en) if w) or m, mo, int(n), int(sa or 0), int(r or 0),
                        int(h or 0), int(a or 0))
                for s, sn, m, zh, en, mo, n, sa, r, h, a in session.execute(query)]
