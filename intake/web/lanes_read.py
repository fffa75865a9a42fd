"""What the lane overview and the attendant console read from the store beside the live lane
snapshots: each lane's last decision, its latest sample frames, and the attendant log. Reads
only, through the read-only engine; every chained row shown is checked against its link
(intake.web.verified) and one that fails is marked, not shown as fact.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.store.attendant import AttendantEvent
from intake.store.tables import Decision, Frame, Inspection, Sample, Vehicle, Visit
from intake.web.verified import failing

FRAMES_SHOWN = 6


@dataclass(frozen=True)
class LastDecision:
    lane: str
    visit: str
    plate: str
    verdict: str | None
    reasons: list[str]
    decided_at: datetime
    verified: bool


@dataclass(frozen=True)
class FrameShown:
    id: int
    label: str | None
    confidence: float | None
    quality_ok: bool


@dataclass(frozen=True)
class LogRow:
    id: int
    lane: str
    kind: str
    action: str | None
    reason: str | None
    by: str | None
    refused: str | None
    at: datetime
    verified: bool


def last_decisions(engine: Engine, reader: Engine) -> dict[str, LastDecision]:
    """Each lane's newest decision (the one in force for its last truck)."""
    with Session(reader) as session:
        newest = (select(func.max(Decision.id).label("id")).join(Visit, col(Visit.id) == col(Decision.visit_id))
                  .group_by(col(Visit.lane)).subquery())
        rows = session.exec(select(Decision, Visit.lane, Vehicle.plate)
                            .join(newest, col(Decision.id) == newest.c.id)
                            .join(Visit, col(Visit.id) == col(Decision.visit_id))
                            .join(Vehicle, col(Vehicle.id) == col(Visit.vehicle_id))).all()
    bad = failing(engine, reader, Decision, [d.id for d, _, _ in rows])
    return {lane: LastDecision(lane, d.visit_id, plate, d.verdict, list(d.reasons or []), d.decided_at,
                               d.id not in bad) for d, lane, plate in rows}


def latest_frames(engine: Engine, reader: Engine, lane: str) -> list[FrameShown]:
    """The frames of the lane's newest inspection; a frame failing its link is left out."""
    with Session(reader) as session:
        inspection = session.exec(select(Inspection.id).join(Sample, col(Sample.id) == col(Inspection.sample_id))
                                  .join(Visit, col(Visit.id) == col(Sample.visit_id)).where(Visit.lane == lane)
                                  .order_by(col(Inspection.id).desc()).limit(1)).first()
        if inspection is None:
            return []
        frames = session.exec(select(Frame).where(Frame.inspection_id == inspection)
                              .order_by(col(Frame.id)).limit(FRAMES_SHOWN)).all()
    bad = failing(engine, reader, Frame, [f.id for f in frames])
    return [FrameShown(int(f.id or 0), f.label, f.confidence, f.quality_ok) for f in frames if f.id not in bad]


def attendant_log(engine: Engine, reader: Engine, limit: int = 20) -> list[LogRow]:
    """The newest calls, requests and answers, newest first."""
    with Session(reader) as session:
        rows = session.exec(select(AttendantEvent).order_by(col(AttendantEvent.id).desc()).limit(limit)).all()
    bad = failing(engine, reader, AttendantEvent, [r.id for r in rows])
    return [LogRow(int(r.id or 0), r.lane, r.kind, r.action, r.reason, r.by, r.refused, r.at, r.id not in bad)
            for r in rows]
