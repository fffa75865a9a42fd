"""The outbox on a gate database in PostgreSQL (the store takes a PostgreSQL URL too): the
migration, the rate limit, delivery with backoff, /health's counts and pruning, on a real server
started by the sync suite's fixture."""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from intake.alarms.messages import AlarmEvent
from intake.alarms.outbox import counts, prune, raise_alarm, recent
from intake.alarms.worker import DeliveryWorker
from intake.store.db import open_engine
from intake.sync.devserver import DevServer
from tests.intake.alarms.conftest import Clock, Robot, alarms_config
from tests.intake.store.conftest import KEY
from tests.intake.sync.conftest import pg_server   # noqa: F401 (the session's PostgreSQL server)

_names = itertools.count(1)


@pytest.fixture
def pg_engine(pg_server: DevServer) -> Iterator[Engine]:   # noqa: F811
    engine = open_engine(pg_server.create_database(f"gate_alarms_{next(_names)}"), KEY)   # migrates to the head
    yield engine
    engine.dispose()


def test_the_outbox_on_postgresql(pg_engine: Engine, robot: Robot, clock: Clock) -> None:
    cfg = alarms_config(robot.capture)
    cfg = cfg.model_copy(update={"rules": [cfg.rules[0].model_copy(update={"channels": ["json"]})]})
    worker = DeliveryWorker(pg_engine, cfg, "Plant", "Asia/Shanghai", clock)

    def reject(visit: str, lane: str | None = "1") -> AlarmEvent:
        return AlarmEvent(event="reject", at=clock(), key=f"reject:{visit}", lane=lane, plate=visit)

    assert not raise_alarm(pg_engine, cfg, reject("a"), clock())[0].suppressed
    assert raise_alarm(pg_engine, cfg, reject("b"), clock())[0].suppressed
    assert not raise_alarm(pg_engine, cfg, reject("c", lane=None), clock())[0].suppressed   # no lane: its own
    assert worker.run_once() == 1   # the channel is down: its second alarm waits for the next pass
    assert counts(pg_engine) == {"pending": 2, "sent": 0, "failed": 0}
    robot.up()
    clock.advance(seconds=5)
    assert worker.run_once() == 1   # the one not tried yet; the first waits for its backoff (10 s)
    clock.advance(seconds=5)
    assert worker.run_once() == 1 and counts(pg_engine) == {"pending": 0, "sent": 2, "failed": 0}
    clock.advance(minutes=10)
    nxt = raise_alarm(pg_engine, cfg, reject("d"), clock())[0]
    worker.run_once()
    assert not nxt.suppressed and robot.capture.posts[-1].body["suppressed"] == 1
    assert prune(pg_engine, clock() - timedelta(minutes=5)) == {"alarms": 3, "deliveries": 2, "attempts": 3}
    assert [x.alarm.key for x in recent(pg_engine)] == ["reject:d"]
