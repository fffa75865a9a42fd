"""What the watcher reads from the gate's records: new REJECT decisions, decisions a device
fault forced, and REVIEW decisions still waiting for a reviewer. Reads only, through the read-only engine (never the write lock)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.alarms.limits import aware
from intake.alarms.messages import AlarmEvent
from intake.store.db import read_only
from intake.store.reviews import Review
from intake.store.tables import Decision, Vehicle, Visit


def resume_cursor(engine: Engine, lookback: timedelta, not_before: datetime) -> int:
    """Where a starting watcher begins: before the decisions of the store's last `lookback` of
    activity (none before `not_before`), so what was decided just before a crash is looked at
    again; the outbox raises each fact once, so those alarmed already are not alarmed twice.
    Older decisions are not news."""
    with Session(read_only(engine)) as session:
        newest = session.exec(select(func.max(Decision.decided_at))).one()
        if newest is None:
            return 0
        since = max(aware(newest) - lookback, not_before)
        before = session.exec(select(func.max(Decision.id)).where(col(Decision.decided_at) < since)).one()
        return int(before or 0)


def _decisions(engine: Engine, *conds: ColumnElement[bool], limit: int,
               newest: bool = False) -> list[tuple[Decision, str, str]]:
    order = col(Decision.id).desc() if newest else col(Decision.id)
    query = (select(Decision, Visit.lane, Vehicle.plate)
             .join(Visit, col(Visit.id) == col(Decision.visit_id))
             .join(Vehicle, col(Vehicle.id) == col(Visit.vehicle_id))
             .where(*conds).order_by(order).limit(limit))
    with Session(read_only(engine)) as session:
        return [(d, lane, plate) for d, lane, plate in session.exec(query).all()]


# Decision reasons that say a device failed the truck (intake/inspection.py, intake/lane): the
# sampler or camera raising, the scale signal lost or restarted, the I/O link, a restarted loop.
DEVICE_PREFIXES = ("sampler:", "camera:")
DEVICE_REASONS = frozenset({"weight_unknown", "indicator_reset", "gate_io_lost", "model_unavailable",
                            "watchdog_restart", "inspection_restarted", "no_classification"})


def device_reasons(reasons: list[str]) -> list[str]:
    return [r for r in reasons if r in DEVICE_REASONS or r.startswith(DEVICE_PREFIXES)]


def new_decisions(engine: Engine, after_id: int, limit: int = 200) -> tuple[list[AlarmEvent], int]:
    """Decisions with an id above `after_id` (the gate's and reviewers'): a REJECT is a `reject`
    event, one whose reasons name a device a `device_fault`. Returns them and the new cursor."""
    rows = _decisions(engine, col(Decision.id) > after_id, limit=limit)
    events: list[AlarmEvent] = []
    for d, lane, plate in rows:
        reasons = list(d.reasons or [])
        if d.verdict == "reject":
            events.append(AlarmEvent(event="reject", at=d.decided_at, key=f"reject:{d.visit_id}:{d.id}", lane=lane,
                                     plate=plate, visit=d.visit_id, reasons=reasons))
        if faults := device_reasons(reasons):
            events.append(AlarmEvent(event="device_fault", at=d.decided_at, key=f"fault:{d.visit_id}:{d.id}",
                                     lane=lane, plate=plate, visit=d.visit_id, reasons=reasons,
                                     detail=", ".join(faults)))
    return events, max([after_id, *(d.id or 0 for d, _, _ in rows)])


def waiting_reviews(engine: Engine, now: datetime, after_min: float, limit: int = 200) -> list[AlarmEvent]:
    """The gate's REVIEW decisions no reviewer has answered, decided `after_min` or more ago;
    the newest `limit` of them."""
    by_review = exists().where(col(Review.decision_id) == col(Decision.id))
    reviewed = exists().where(col(Review.visit_id) == col(Decision.visit_id))
    rows = _decisions(engine, col(Decision.verdict) == "review", ~by_review, ~reviewed,
                      col(Decision.decided_at) <= now - timedelta(minutes=after_min), limit=limit, newest=True)
    return [AlarmEvent(event="review_waiting", at=now, key=f"review:{d.visit_id}", lane=lane, plate=plate,
                       visit=d.visit_id, reasons=list(d.reasons or []), threshold=after_min,
                       detail=f"待复核 {_minutes(now, d.decided_at)} 分钟 / waiting {_minutes(now, d.decided_at)} min")
            for d, lane, plate in rows]


def _minutes(now: datetime, then: datetime) -> int:
    return int((now - aware(then)).total_seconds() // 60)
