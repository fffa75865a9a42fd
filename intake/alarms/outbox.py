"""The durable outbox: raising an alarm writes it (and one delivery per channel) in one
transaction; the worker takes due deliveries, and every attempt is logged. Times come in as
arguments: nothing here reads the clock."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.alarms.config import AlarmsConfig, Backoff
from intake.alarms.limits import aware, given_up, held, retry_delay_s
from intake.alarms.messages import AlarmEvent
from intake.alarms.tables import Alarm, AlarmAttempt, AlarmDelivery


@dataclass(frozen=True)
class Raised:
    alarm_id: int
    rule: str
    suppressed: bool
    deliveries: int


def raise_alarm(engine: Engine, cfg: AlarmsConfig, ev: AlarmEvent, now: datetime) -> list[Raised]:
    """Write the alarm for every rule that takes the event. A rule that already has an alarm
    for this key writes nothing; one inside its rate limit writes a suppressed row."""
    out: list[Raised] = []
    with Session(engine) as session:
        for index, rule in cfg.rules_for(ev.event, ev.lane, ev.threshold):
            name = f"{index}.{rule.event}"
            seen = session.exec(select(Alarm.id).where(Alarm.rule == name, Alarm.key == ev.key).limit(1)).first()
            if seen is not None:
                continue
            last = _last_sent(session, name, ev.lane)
            suppressed = held(last, now, rule.every_min)
            row = Alarm(rule=name, event=ev.event, lane=ev.lane, key=ev.key, at=now,
                        body=ev.model_dump(mode="json"), suppressed=suppressed,
                        held_back=0 if suppressed else _held_since(session, name, ev.lane, last))
            session.add(row)
            session.flush()
            assert row.id is not None
            channels = [] if suppressed else rule.channels
            for channel in channels:
                session.add(AlarmDelivery(alarm_id=row.id, channel=channel, next_at=now))
            out.append(Raised(row.id, name, suppressed, len(channels)))
        session.commit()
    return out


def _lane_is(lane: str | None) -> ColumnElement[bool]:
    return col(Alarm.lane).is_(None) if lane is None else col(Alarm.lane) == lane


def _last_sent(session: Session, rule: str, lane: str | None) -> datetime | None:
    at = session.exec(select(func.max(Alarm.at)).where(
        Alarm.rule == rule, _lane_is(lane), col(Alarm.suppressed).is_(False))).first()
    return aware(at) if at is not None else None


def _held_since(session: Session, rule: str, lane: str | None, since: datetime | None) -> int:
    query = select(func.count()).select_from(Alarm).where(
        Alarm.rule == rule, _lane_is(lane), col(Alarm.suppressed).is_(True))
    if since is not None:
        query = query.where(col(Alarm.at) >= since)
    return int(session.exec(query).one())


@dataclass(frozen=True)
class Due:
    delivery_id: int
    channel: str
    attempts: int
    event: AlarmEvent
    held_back: int
    raised_at: datetime
    rule: str


def due(engine: Engine, now: datetime, limit: int = 50) -> list[Due]:
    """Pending deliveries whose time has come, oldest first."""
    with Session(engine) as session:
        rows = session.exec(select(AlarmDelivery, Alarm).join(Alarm, col(Alarm.id) == col(AlarmDelivery.alarm_id))
                            .where(AlarmDelivery.status == "pending", col(AlarmDelivery.next_at) <= now)
                            .order_by(col(AlarmDelivery.next_at), col(AlarmDelivery.id)).limit(limit)).all()
        return [Due(d.id or 0, d.channel, d.attempts, AlarmEvent.model_validate(a.body), a.held_back, aware(a.at),
                    a.rule) for d, a in rows]


def record_attempt(engine: Engine, item: Due, ok: bool, result: str, now: datetime, backoff: Backoff) -> str:
    """Log the attempt and move the delivery on: sent, retried later, or failed (given up).
    Returns the delivery's new status."""
    with Session(engine) as session:
        row = session.get(AlarmDelivery, item.delivery_id)
        assert row is not None
        row.attempts += 1
        if ok:
            row.status, row.sent_at, row.last_error = "sent", now, None
        else:
            row.last_error = result[:500]
            row.next_at = now + timedelta(seconds=retry_delay_s(row.attempts, backoff))
            if given_up(item.raised_at, row.next_at, backoff):
                row.status = "failed"
        session.add(row)
        session.add(AlarmAttempt(delivery_id=item.delivery_id, at=now, ok=ok, result=result[:500]))
        session.commit()
        return row.status


@dataclass(frozen=True)
class Listed:
    alarm: Alarm
    deliveries: list[AlarmDelivery]


def recent(engine: Engine, limit: int = 50, status: str | None = None) -> list[Listed]:
    """The newest alarms with their deliveries; `status`: only those with a delivery in it."""
    with Session(engine) as session:
        query = select(Alarm).order_by(col(Alarm.id).desc()).limit(limit)
        if status is not None:
            query = query.where(col(Alarm.id).in_(select(AlarmDelivery.alarm_id).where(AlarmDelivery.status == status)))
        alarms = list(session.exec(query).all())
        ids = [a.id for a in alarms]
        deliveries = list(session.exec(select(AlarmDelivery).where(col(AlarmDelivery.alarm_id).in_(ids))
                                       .order_by(col(AlarmDelivery.id))).all())
    return [Listed(a, [d for d in deliveries if d.alarm_id == a.id]) for a in alarms]


def attempts_of(engine: Engine, delivery_id: int) -> list[AlarmAttempt]:
    with Session(engine) as session:
        return list(session.exec(select(AlarmAttempt).where(AlarmAttempt.delivery_id == delivery_id)
                                 .order_by(col(AlarmAttempt.id))).all())


def backlog(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(AlarmDelivery)
                                .where(AlarmDelivery.status == "pending")).one())


def make_due(engine: Engine, now: datetime, include_failed: bool = False) -> int:
    """Waiting deliveries (and given-up ones when asked) due now: `intake alarms retry`."""
    states = ["pending", "failed"] if include_failed else ["pending"]
    with Session(engine) as session:
        rows = list(session.exec(select(AlarmDelivery).where(col(AlarmDelivery.status).in_(states))).all())
        for row in rows:
            row.status, row.next_at = "pending", now
            session.add(row)
        session.commit()
    return len(rows)


def add_direct(engine: Engine, ev: AlarmEvent, channels: list[str], now: datetime) -> list[int]:
    """An alarm outside the rules (a test), straight to the named channels; its delivery ids."""
    with Session(engine) as session:
        row = Alarm(rule="test", event=ev.event, lane=ev.lane, key=ev.key, at=now, body=ev.model_dump(mode="json"))
        session.add(row)
        session.flush()
        assert row.id is not None
        deliveries = [AlarmDelivery(alarm_id=row.id, channel=name, next_at=now) for name in channels]
        session.add_all(deliveries)
        session.commit()
        return [d.id or 0 for d in deliveries]


def due_by_id(engine: Engine, delivery_id: int) -> Due:
    with Session(engine) as session:
        d = session.get(AlarmDelivery, delivery_id)
        assert d is not None
        a = session.get(Alarm, d.alarm_id)
        assert a is not None
        return Due(delivery_id, d.channel, d.attempts, AlarmEvent.model_validate(a.body), a.held_back, aware(a.at),
                   a.rule)


def counts(engine: Engine) -> dict[str, int]:
    """Deliveries per status (pending, sent, failed), for /health."""
    with Session(engine) as session:
        rows = session.exec(select(AlarmDelivery.status, func.count()).group_by(AlarmDelivery.status)).all()
    found = {str(status): int(n) for status, n in rows}
    return {s: found.get(s, 0) for s in ("pending", "sent", "failed")}


def prune(engine: Engine, before: datetime, dry_run: bool = False) -> dict[str, int]:
    """Remove alarms raised before `before` that wait for nothing (every delivery sent or given
    up; suppressed rows), with their deliveries and attempts. Returns what was (or would be) removed."""
    waiting = select(AlarmDelivery.alarm_id).where(AlarmDelivery.status == "pending")
    with Session(engine) as session:
        ids = list(session.exec(select(Alarm.id).where(col(Alarm.at) < before, col(Alarm.id).not_in(waiting))).all())
        deliveries = list(session.exec(select(AlarmDelivery.id).where(col(AlarmDelivery.alarm_id).in_(ids))).all())
        tries = session.exec(select(func.count()).select_from(AlarmAttempt)
                             .where(col(AlarmAttempt.delivery_id).in_(deliveries))).one()
        if not dry_run:
            session.execute(delete(AlarmAttempt).where(col(AlarmAttempt.delivery_id).in_(deliveries)))
            session.execute(delete(AlarmDelivery).where(col(AlarmDelivery.id).in_(deliveries)))
            session.execute(delete(Alarm).where(col(Alarm.id).in_(ids)))
            session.commit()
    return {"alarms": len(ids), "deliveries": len(deliveries), "attempts": int(tries)}
