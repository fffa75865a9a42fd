"""Spot-checks of PASS loads: a reviewer looks at a load the gate passed and records whether
they agree, without touching its decision.

A spot-check is its own chained record; no Decision is written, so the gate's PASS stays the
decision in force. One that disagrees flags the load: it waits for a second person's review
(intake.store.reviews.record_review, which does write a new Decision), and until then its
photos are kept (intake.store.retention) and it is listed under the queue's "flagged" status.
A load the remote attendant released into the plant (intake.store.attendant) is flagged the
same way: a person overrode the gate's REVIEW on the deck, and quality staff confirm it and
give it its training label.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Optional

from sqlalchemy import and_, exists, func, literal, or_, select, union
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col

from intake.config import LABELS
from intake.store.attendant import AttendantEvent
from intake.store.tables import Decision, utcnow


class SpotCheck(SQLModel, table=True):
    """One reviewer's look at one PASS decision. Append-only, hash-chained."""
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    visit_id: str = Field(foreign_key="visit.id", index=True)
    # The PASS decision looked at: unique, so two reviewers racing on one load cannot both record.
    decision_id: int = Field(foreign_key="decision.id", unique=True)
    reviewer_id: int
    reviewer: str
    agrees: bool
    label: str                                  # what the reviewer sees: a training label
    reason: str
    checked_at: datetime = Field(default_factory=utcnow, index=True)


class SpotCheckRejected(ValueError):
    """A spot-check that breaks the rules (unknown label, missing reason, not a PASS)."""


class StaleSpotCheck(RuntimeError):
    """The load changed (reviewed or spot-checked) since the reviewer opened it."""


@dataclass(frozen=True)
class SpotCheckRequest:
    visit_id: str
    seen_decision_id: int
    reviewer_id: int
    reviewer: str
    agrees: bool
    label: str
    reason: str


def _reviewed(visit: Any) -> Any:
    from intake.store.reviews import Review   # reviews imports this module's table

    return exists().where(col(Review.visit_id) == visit)


def touched(visit: Any) -> Any:
    """A load someone has looked at: reviewed or spot-checked (the queue's "reviewed" status)."""
    return _reviewed(visit) | exists().where(col(SpotCheck.visit_id) == visit)


def _released() -> Any:
    """The attendant's releases the gate carried out (each wrote a PASS beside the REVIEW)."""
    return and_(col(AttendantEvent.kind) == "done", col(AttendantEvent.action) == "release")


def flagged(visit: Any) -> Any:
    """A load a spot-check disagreed with, or the attendant released, and nobody has reviewed since."""
    disputed = exists().where(col(SpotCheck.visit_id) == visit, ~col(SpotCheck.agrees))
    released = exists().where(col(AttendantEvent.visit_id) == visit, _released())
    return and_(or_(disputed, released), ~_reviewed(visit))


def flagged_visits() -> Any:
    """The visit ids of flagged loads, as a subquery (driven by the small spot-check and
    attendant tables)."""
    disputed = select(col(SpotCheck.visit_id)).where(~col(SpotCheck.agrees), ~_reviewed(col(SpotCheck.visit_id)))
    released = select(col(AttendantEvent.visit_id)).where(_released(), ~_reviewed(col(AttendantEvent.visit_id)))
    return select(union(disputed, released).subquery().c[0])


def flagged_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(flagged_visits().subquery())).scalar() or 0)


def checks_of(engine: Engine, visit_id: str) -> list[SpotCheck]:
    with Session(engine) as session:
        return list(session.execute(select(SpotCheck).where(col(SpotCheck.visit_id) == visit_id)
                                    .order_by(col(SpotCheck.id))).scalars())


def record_spot_check(engine: Engine, req: SpotCheckRequest) -> SpotCheck:
    """Append the spot-check; StaleSpotCheck if the load's current decision is not the gate's
    PASS the reviewer saw, or someone reviewed or spot-checked it since."""
    reason = " ".join(req.reason.split())
    if req.label not in LABELS:
        raise SpotCheckRejected(f"label must be one of {', '.join(LABELS)}")
    if len(reason) > 500 or (not req.agrees and len(reason) < 3):
        raise SpotCheckRejected("a reason of 3 to 500 characters is required")
    with Session(engine) as session:
        current = session.execute(select(Decision).where(col(Decision.visit_id) == req.visit_id)
                                  .order_by(col(Decision.id).desc()).limit(1)).scalars().first()
        if current is None or current.id != req.seen_decision_id:
            raise StaleSpotCheck("this item changed since it was opened")
        if current.verdict != "pass":
            raise SpotCheckRejected("only a PASS load is spot-checked")
        if session.execute(select(touched(literal(req.visit_id)))).scalar():
            raise StaleSpotCheck("someone else reviewed this item first")
        row = SpotCheck(visit_id=req.visit_id, decision_id=current.id, reviewer_id=req.reviewer_id,
                        reviewer=req.reviewer, agrees=req.agrees, label=req.label, reason=reason)
        session.add(row)
        try:
            session.commit()
        except IntegrityError as exc:   # another reviewer's spot-check of the same decision won
            raise StaleSpotCheck("someone else reviewed this item first") from exc
        session.refresh(row)
        return row

