"""The remote attendant's log: drivers' calls from the kiosk, attendants' requests from the
console, and the gate's answers, each a chained row.

The console only writes a `request` row (who, which truck, which action, why); the running gate
takes it at its next look (`pending`), steps its lane machine with it (`AttendantDecision`) and
answers: `done` with the new Decision it wrote in the same transaction (release: PASS; send
back and park: REVIEW), or `refused` with why (the truck had gone, the lane had a fault, ...).
So the attendant's decision is a new decision beside the gate's, never an edit of it, and the
barrier moves only after both are durable. The kiosk's call button writes a `call` row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import ClassVar, Final, Literal, Optional

from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from intake.store.append import append
from intake.store.tables import Decision, utcnow

Kind = Literal["call", "request", "done", "refused"]
ACTIONS: Final[tuple[str, ...]] = ("release", "send_back", "park")
REASON_MAX = 500
CALL_EVERY_S = 10.0   # wall seconds: a kiosk button held down or pressed again is one call


class AttendantEvent(SQLModel, table=True):
    """One step of the attendant's work on a lane. Append-only, hash-chained."""
    __tablename__ = "attendant_event"
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    lane: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=16)                          # Kind
    visit_id: Optional[str] = Field(default=None, foreign_key="visit.id", index=True)
    action: Optional[str] = Field(default=None, max_length=16)   # ACTIONS (requests, answers)
    reason: Optional[str] = Field(default=None, max_length=REASON_MAX)
    by: Optional[str] = Field(default=None, max_length=64)       # the attendant's login name
    user_id: Optional[int] = None                                 # ... and account
    request_id: Optional[int] = None                              # answers: the request they answer
    decision_id: Optional[int] = Field(default=None, foreign_key="decision.id")   # done: what it wrote
    refused: Optional[str] = Field(default=None, max_length=64)  # refused: why
    at: datetime = Field(default_factory=utcnow)


class RequestRejected(ValueError):
    """A request that breaks the rules (no reason, unknown action, no attendant)."""


@dataclass(frozen=True)
class Pending:
    """A call or a request for the gate to take, oldest first."""
    id: int
    kind: str
    visit: str | None
    action: str | None
    by: str
    reason: str


def record_call(engine: Engine, lane: str, visit: str | None, now: datetime | None = None) -> int | None:
    """The kiosk's call button; None when the lane's last call is under CALL_EVERY_S old."""
    now = now or utcnow()
    with Session(engine) as session:
        last = session.exec(select(AttendantEvent.at).where(AttendantEvent.lane == lane, AttendantEvent.kind == "call")
                            .order_by(col(AttendantEvent.id).desc()).limit(1)).first()
    if last is not None and now - _aware(last) < timedelta(seconds=CALL_EVERY_S):
        return None
    return append(engine, AttendantEvent(lane=lane, kind="call", visit_id=visit, at=now))


def request(engine: Engine, lane: str, visit: str, action: str, reason: str, by: str, user_id: int | None) -> int:
    """An attendant's decision for the gate to carry out; returns the request's id."""
    reason = reason.strip()
    if action not in ACTIONS:
        raise RequestRejected(f"action must be one of {', '.join(ACTIONS)}")
    if not reason:
        raise RequestRejected("a decision needs a reason")
    if len(reason) > REASON_MAX:
        raise RequestRejected(f"the reason is longer than {REASON_MAX} characters")
    if not by.strip() or not visit:
        raise RequestRejected("a decision names the attendant and the truck")
    return append(engine, AttendantEvent(lane=lane, kind="request", visit_id=visit, action=action, reason=reason,
                                         by=by.strip(), user_id=user_id))


def answer(engine: Engine, lane: str, request_id: int | None, visit: str, action: str, by: str, reason: str,
           refused: str | None) -> int:
    """The gate's answer, with the new Decision in the same transaction when it was carried out."""
    with Session(engine) as session:
        decision: Decision | None = None
        if refused is None:
            verdict = "pass" if action == "release" else "review"
            decision = Decision(visit_id=visit, verdict=verdict, reasons=[f"attendant_{action}"], label=None)
            session.add(decision)
            session.flush()
        row = AttendantEvent(lane=lane, kind="refused" if refused else "done", visit_id=visit, action=action,
                             reason=reason, by=by, request_id=request_id, refused=refused,
                             decision_id=decision.id if decision is not None else None)
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def last_id(engine: Engine) -> int:
    """The newest row's id (0 for none): requests up to it were made before this gate ran."""
    with Session(engine) as session:
        return int(session.exec(select(AttendantEvent.id).order_by(col(AttendantEvent.id).desc()).limit(1)).first() or 0)


def pending(engine: Engine, lane: str, after: int) -> list[Pending]:
    """Calls and requests for `lane` newer than `after`, oldest first."""
    with Session(engine) as session:
        rows = session.exec(select(AttendantEvent).where(
            AttendantEvent.lane == lane, col(AttendantEvent.kind).in_(("call", "request")),
            col(AttendantEvent.id) > after).order_by(col(AttendantEvent.id)))
        return [Pending(int(r.id or 0), r.kind, r.visit_id, r.action, r.by or "", r.reason or "") for r in rows]


def answer_to(engine: Engine, request_id: int) -> AttendantEvent | None:
    with Session(engine) as session:
        return session.exec(select(AttendantEvent).where(AttendantEvent.request_id == request_id)).first()


def recent(engine: Engine, limit: int = 20) -> list[AttendantEvent]:
    """The newest rows, newest first (the console's log)."""
    with Session(engine) as session:
        return list(session.exec(select(AttendantEvent).order_by(col(AttendantEvent.id).desc()).limit(limit)))


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
