"""A repeat weighing and the visit it repeated, both ways.

The gate holds a truck admitted less than `repeat_window_s` after the same vehicle's last
weigh-out (`repeat_weighing`, intake.store.records.checks_at_admission) but records no link;
the link is found again from the records the check read: the vehicle's latest weigh-out
before the held visit opened. And from the earlier visit: the vehicle's next visit after its
weigh-out, when that one was held for it. Both are indexed lookups by vehicle.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from intake.store.tables import Decision, Visit, Weighing

REPEAT: str = "repeat_weighing"


@dataclass(frozen=True)
class VisitRef:
    visit_id: str
    opened_at: datetime
    weighed_out_at: datetime | None = None


@dataclass(frozen=True)
class RepeatLinks:
    earlier: VisitRef | None = None                     # the visit this one was held as a repeat of
    later: list[VisitRef] = field(default_factory=list)  # visits held as repeats of this one


def _held_as_repeat(session: Session, visit_id: str) -> bool:
    reasons = session.execute(select(col(Decision.reasons)).where(col(Decision.visit_id) == visit_id)).scalars()
    return any(REPEAT in (r or []) for r in reasons)


def _weigh_out(session: Session, visit_id: str) -> datetime | None:
    return session.execute(select(col(Weighing.recorded_at)).where(
        col(Weighing.visit_id) == visit_id, col(Weighing.kind) == "out")
        .order_by(col(Weighing.id).desc()).limit(1)).scalar_one_or_none()


def repeat_links(engine: Engine, visit_id: str) -> RepeatLinks:
    with Session(engine) as session:
        visit = session.get(Visit, visit_id)
        if visit is None:
            return RepeatLinks()
        earlier = None
        if _held_as_repeat(session, visit_id):
            row = session.execute(
                select(col(Visit.id), col(Visit.opened_at), col(Weighing.recorded_at)).join(Weighing, col(Weighing.visit_id) == col(Visit.id))
                .where(col(Visit.vehicle_id) == visit.vehicle_id, col(Visit.id) != visit_id, col(Weighing.kind) == "out",
                       col(Weighing.recorded_at) <= visit.opened_at)
                .order_by(col(Weighing.recorded_at).desc()).limit(1)).first()
            earlier = VisitRef(*row) if row else None
        later: list[VisitRef] = []
        out_at = _weigh_out(session, visit_id)
        if out_at is not None:
            nxt = session.execute(
                select(col(Visit.id), col(Visit.opened_at)).where(col(Visit.vehicle_id) == visit.vehicle_id,
                                                        col(Visit.opened_at) >= out_at, col(Visit.id) != visit_id)
                .order_by(col(Visit.opened_at)).limit(1)).first()
            if nxt is not None and _held_as_repeat(session, nxt[0]):
                later.append(VisitRef(nxt[0], nxt[1], _weigh_out(session, nxt[0])))
        return RepeatLinks(earlier, later)
