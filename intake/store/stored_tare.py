"""A delivery closed on the vehicle's stored tare (one weighing): the chained record of it.

Where the plant allows it (`weighing.stored_tare_exit`), a truck whose load is let into the
plant and whose vehicle has a valid stored tare (dated, younger than
`weighing.stored_tare_max_age_days`) does not come back over the scale empty: its delivery ends
at the weigh-in's decision, and the tare it is paid on is the stored one. That tare is a
settlement fact, so the use of it is a chained record: which tare, of which date, for which
visit, when. The ticket and the settlement export read it (intake.ticket.issue.facts_of), and a
visit with one is no longer open for a weigh-out (Records._open_visit).

Only what the indicator reports is a weight: the stored tare was weighed once (a weigh-out that
matched, or a technician's correction, each its own chained change record); this record copies
it, never computes one.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import ClassVar, Optional

from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from intake.store.tables import Decision, Vehicle, Visit, utcnow


class StoredTareUse(SQLModel, table=True):
    __tablename__ = "stored_tare_use"
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    visit_id: str = Field(foreign_key="visit.id", unique=True)   # one per delivery
    vehicle_id: int = Field(foreign_key="vehicle.id")
    tare_kg: int                         # the vehicle's stored tare at that moment
    tare_at: datetime                    # when that tare was weighed
    recorded_at: datetime = Field(default_factory=utcnow)   # the delivery's end: its "weighed out" time


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def valid_tare(vehicle: Vehicle | None, max_age_days: float, now: datetime) -> bool:
    """A tare the plant may pay on: set, dated, and not older than the limit."""
    if vehicle is None or vehicle.stored_tare_kg is None or vehicle.stored_tare_at is None:
        return False
    return now - _aware(vehicle.stored_tare_at) <= timedelta(days=max_age_days)


def use_stored_tare(engine: Engine, visit_id: str, max_age_days: float, now: datetime | None = None,
                    ) -> StoredTareUse | None:
    """End the visit's delivery on its vehicle's stored tare, committed and chained; None (and
    nothing written) when the vehicle has no valid stored tare or the load was not let in:
    then the truck weighs out as any other."""
    now = now or utcnow()
    with Session(engine) as session:
        existing = session.exec(select(StoredTareUse).where(StoredTareUse.visit_id == visit_id)).first()
        if existing is not None:
            return existing
        visit = session.get(Visit, visit_id)
        vehicle = session.get(Vehicle, visit.vehicle_id) if visit is not None else None
        last = session.exec(select(Decision).where(Decision.visit_id == visit_id)
                            .order_by(Decision.id.desc())).first()   # type: ignore[union-attr]
        let_in = last is not None and last.verdict in (None, "pass")   # PASS, or not sampled
        if vehicle is None or not let_in or not valid_tare(vehicle, max_age_days, now):
            return None
        assert vehicle.id is not None and vehicle.stored_tare_kg is not None and vehicle.stored_tare_at is not None
        use = StoredTareUse(visit_id=visit_id, vehicle_id=vehicle.id, tare_kg=vehicle.stored_tare_kg,
                            tare_at=_aware(vehicle.stored_tare_at), recorded_at=now)
        session.add(use)
        session.commit()
        session.refresh(use)
        return use
