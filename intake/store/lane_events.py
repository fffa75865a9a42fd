"""The lanes' safety log: latched faults and the technicians' resets, who and when.

A lane fault latches (intake.lane.machine): the lane stays closed to new trucks until a
technician resets it with `intake lane reset <lane> --by <name>`. The command only writes a
request row; the running gate takes it at its next look (`pending_resets`), answers with a
`reset` or `reset_refused` row naming the request, and the command waits for that answer.
The store is the one channel both sides already trust, and every step stays on the record.

Rows are append-only and hash-chained like every other record. At start a lane reads its
latched faults back (`latched_faults`): restarting the gate does not reset a lane.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal, Optional

from sqlalchemy import Column, JSON
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from intake.store.append import append
from intake.store.tables import utcnow

EventKind = Literal["fault", "reset_request", "reset", "reset_refused"]


class LaneEvent(SQLModel, table=True):
    """One step of a lane's fault latch. Append-only, hash-chained."""
    __tablename__ = "lane_event"
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    lane: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=16)                 # EventKind
    faults: list = Field(default_factory=list, sa_column=Column(JSON))   # latched, cleared or refusing
    by: Optional[str] = Field(default=None, max_length=200)   # the technician (requests, answers)
    login: Optional[str] = Field(default=None, max_length=64)  # the account that ran the command
    request_id: Optional[int] = None                 # answers: the request they answer
    at: datetime = Field(default_factory=utcnow)


@dataclass(frozen=True)
class ResetRequest:
    id: int
    lane: str
    by: str


def record_fault(engine: Engine, lane: str, faults: tuple[str, ...]) -> int:
    return append(engine, LaneEvent(lane=lane, kind="fault", faults=list(faults)))


def request_reset(engine: Engine, lane: str, by: str, login: str | None) -> int:
    """A technician asks for the lane to be put back in service; returns the request's id."""
    if not by.strip():
        raise ValueError("a reset names the technician who makes it")
    return append(engine, LaneEvent(lane=lane, kind="reset_request", by=by.strip(), login=login))


def record_answer(engine: Engine, lane: str, request: int | None, by: str, cleared: tuple[str, ...],
                  refused_by: tuple[str, ...]) -> int:
    """The gate's answer to a request: `reset` with the faults it cleared, or `reset_refused`
    with the faults still active."""
    kind = "reset_refused" if refused_by else "reset"
    return append(engine, LaneEvent(lane=lane, kind=kind, faults=list(refused_by or cleared), by=by,
                                  request_id=request))


def last_id(engine: Engine) -> int:
    """The newest event's id (0 for none): requests up to it were made before this gate ran."""
    with Session(engine) as session:
        row = session.exec(select(LaneEvent.id).order_by(col(LaneEvent.id).desc()).limit(1)).first()
        return int(row or 0)


def pending_resets(engine: Engine, lane: str, after: int) -> list[ResetRequest]:
    """Requests for `lane` newer than `after`, oldest first."""
    with Session(engine) as session:
        rows = session.exec(select(LaneEvent).where(LaneEvent.lane == lane, LaneEvent.kind == "reset_request",
                                                    col(LaneEvent.id) > after).order_by(col(LaneEvent.id)))
        return [ResetRequest(int(r.id or 0), r.lane, r.by or "") for r in rows]


def answer_to(engine: Engine, request: int) -> LaneEvent | None:
    with Session(engine) as session:
        return session.exec(select(LaneEvent).where(LaneEvent.request_id == request,
                                                    col(LaneEvent.kind).in_(("reset", "reset_refused")))).first()


def latched_faults(engine: Engine, lane: str) -> tuple[str, ...]:
    """The faults latched on `lane` since its last reset that took, in the order they came."""
    with Session(engine) as session:
        reset = session.exec(select(LaneEvent.id).where(LaneEvent.lane == lane, LaneEvent.kind == "reset")
                             .order_by(col(LaneEvent.id).desc()).limit(1)).first() or 0
        rows = session.exec(select(LaneEvent).where(LaneEvent.lane == lane, LaneEvent.kind == "fault",
                                                    col(LaneEvent.id) > reset)
                            .order_by(col(LaneEvent.id))).all()
    latched: list[str] = []
    for row in rows:
        latched += [f for f in row.faults if f not in latched]
    return tuple(latched)


def events(engine: Engine, lane: str | None = None, limit: int = 50) -> list[LaneEvent]:
    """The newest events, newest first (for `intake lane log`)."""
    with Session(engine) as session:
        query = select(LaneEvent)
        if lane is not None:
            query = query.where(LaneEvent.lane == lane)
        return list(session.exec(query.order_by(col(LaneEvent.id).desc()).limit(limit)))
