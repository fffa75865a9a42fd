"""`intake alarms test`: a test alarm to each channel, through the outbox like any other, so
the attempt log shows it too."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake.alarms.messages import AlarmEvent
from intake.alarms.outbox import add_direct, attempts_of, due_by_id
from intake.alarms.tables import AlarmDelivery
from intake.alarms.worker import DeliveryWorker


def probe_event(now: datetime) -> AlarmEvent:
    return AlarmEvent(event="test", at=now, key=f"test:{now.isoformat()}", lane=None,
                      detail="通道测试，无需处理 / channel test, no action needed")


def send_test(engine: Engine, worker: DeliveryWorker, channels: list[str], now: datetime) -> dict[str, tuple[str, str]]:
    """channel -> (status, what the channel answered or why it failed), after one attempt each."""
    ids = add_direct(engine, probe_event(now), channels, now)
    out: dict[str, tuple[str, str]] = {}
    for name, delivery_id in zip(channels, ids):
        worker.attempt(due_by_id(engine, delivery_id))
        with Session(engine) as session:
            row = session.get(AlarmDelivery, delivery_id)
            assert row is not None
            if row.status == "pending":   # a test is tried once, never retried by the gate
                row.status = "failed"
                session.add(row)
                session.commit()
            status = row.status
        tries = attempts_of(engine, delivery_id)
        out[name] = (status, tries[-1].result if tries else "")
    return out
