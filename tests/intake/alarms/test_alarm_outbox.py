"""The outbox on a real SQLite file: one alarm per rule and key, the rate limit per rule and
lane with the held-back count in the next message, exponential backoff on an injected clock,
giving up, and every attempt logged."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.alarms.config import AlarmsConfig, Backoff
from intake.alarms.limits import aware, retry_delay_s
from intake.alarms.messages import AlarmEvent
from intake.alarms.outbox import attempts_of, backlog, raise_alarm, recent
from intake.alarms.tables import AlarmDelivery
from intake.alarms.worker import DeliveryWorker
from tests.intake.alarms.conftest import Capture, Clock, Robot, alarms_config


def _reject(clock: Clock, visit: str, lane: str = "1") -> AlarmEvent:
    return AlarmEvent(event="reject", at=clock(), key=f"reject:{visit}", lane=lane, plate="P" + visit,
                      visit=visit, reasons=["muddy"])


def _worker(engine: Engine, cfg: AlarmsConfig, clock: Clock) -> DeliveryWorker:
    return DeliveryWorker(engine, cfg, "Plant", "Asia/Shanghai", clock)


def test_rate_limit_per_rule_and_lane_counts_the_held_back_in_the_next(engine, capture: Capture, clock: Clock) -> None:
    cfg = alarms_config(capture)
    cfg = cfg.model_copy(update={"channels": {"json": cfg.channels["json"]},
                                 "rules": [cfg.rules[0].model_copy(update={"channels": ["json"]})]})
    worker = _worker(engine, cfg, clock)
    assert not raise_alarm(engine, cfg, _reject(clock, "a"), clock())[0].suppressed
    clock.advance(minutes=2)
    assert raise_alarm(engine, cfg, _reject(clock, "b"), clock())[0].suppressed
    assert not raise_alarm(engine, cfg, _reject(clock, "c", lane="2"), clock())[0].suppressed   # another lane
    clock.advance(minutes=3)
    assert raise_alarm(engine, cfg, _reject(clock, "d"), clock())[0].suppressed
    assert raise_alarm(engine, cfg, _reject(clock, "a"), clock()) == []   # the same fact again: nothing
    worker.run_once()
    clock.advance(minutes=5)   # 10 minutes after the first of lane 1
    nxt = raise_alarm(engine, cfg, _reject(clock, "e"), clock())[0]
    assert not nxt.suppressed and nxt.deliveries == 1
    worker.run_once()
    bodies = [p.body for p in capture.posts]
    assert [(b["visit"], b["lane"], b["suppressed"]) for b in bodies] == [("a", "1", 0), ("c", "2", 0), ("e", "1", 2)]
    assert "2 similar alarm(s) held back" in bodies[2]["text"]
    listed = recent(engine)
    assert [(x.alarm.key, x.alarm.suppressed) for x in listed] == [
        ("reject:e", False), ("reject:d", True), ("reject:c", False), ("reject:b", True), ("reject:a", False)]


def test_backoff_doubles_on_the_injected_clock_and_each_attempt_is_logged(engine, robot: Robot, clock: Clock) -> None:
    cfg = alarms_config(robot.capture).model_copy(update={"backoff": Backoff(first_s=10, max_s=40, give_up_h=1)})
    cfg = cfg.model_copy(update={"rules": [cfg.rules[0].model_copy(update={"channels": ["json"]})]})
    worker = _worker(engine, cfg, clock)
    raise_alarm(engine, cfg, _reject(clock, "a"), clock())
    tried_at = []
    for _ in range(130):   # 130 s in 1 s steps, the target down
        if worker.run_once():
            tried_at.append(clock())
        clock.advance(seconds=1)
    offsets = [(t - tried_at[0]).total_seconds() for t in tried_at]
    assert offsets == [0, 10, 30, 70, 110]   # +10, +20, +40, then the cap of 40
    with Session(engine) as session:
        [delivery] = session.exec(select(AlarmDelivery)).all()
    log = attempts_of(engine, delivery.id)
    assert [a.ok for a in log] == [False] * 5 and all("Connection" in a.result for a in log)
    assert delivery.attempts == 5 and delivery.status == "pending" and "Connection" in delivery.last_error
    robot.up()
    clock.advance(seconds=40)
    assert worker.run_once() == 1 and backlog(engine) == 0
    log = attempts_of(engine, delivery.id)
    assert [a.ok for a in log] == [False] * 5 + [True] and log[-1].result == "HTTP 200"
    clock.advance(hours=2)
    assert worker.run_once() == 0 and len(robot.capture.posts) == 1


def test_a_delivery_is_given_up_after_give_up_h(engine, robot: Robot, clock: Clock) -> None:
    cfg = alarms_config(robot.capture).model_copy(update={"backoff": Backoff(first_s=60, max_s=600, give_up_h=0.5)})
    cfg = cfg.model_copy(update={"rules": [cfg.rules[0].model_copy(update={"channels": ["json"]})]})
    worker = _worker(engine, cfg, clock)
    raise_alarm(engine, cfg, _reject(clock, "a"), clock())
    for _ in range(40):
        worker.run_once()
        clock.advance(minutes=1)
    with Session(engine) as session:
        [delivery] = session.exec(select(AlarmDelivery)).all()
    assert delivery.status == "failed" and backlog(engine) == 0
    assert delivery.attempts == len(attempts_of(engine, delivery.id)) < 10


def test_retry_delays() -> None:
    b = Backoff(first_s=10, max_s=3600)
    assert [retry_delay_s(n, b) for n in (1, 2, 3, 9, 10, 5000)] == [10, 20, 40, 2560, 3600, 3600]


def test_one_channel_failing_does_not_hold_the_others(engine, capture: Capture, clock: Clock) -> None:
    cfg = alarms_config(capture)
    broken = cfg.channels["json"].model_copy(update={"url": "http://127.0.0.1:9/nothing"})
    cfg = cfg.model_copy(update={"channels": {**cfg.channels, "json": broken}})
    raise_alarm(engine, cfg, _reject(clock, "a"), clock())
    assert _worker(engine, cfg, clock).run_once() == 3
    [item] = recent(engine)
    assert {d.channel: d.status for d in item.deliveries} == {"wecom": "sent", "dingtalk": "sent", "json": "pending"}
    assert sorted(p.path for p in capture.posts) == ["/dingtalk", "/wecom"]
    assert aware(item.deliveries[2].next_at) == clock() + timedelta(seconds=10)   # backoff.first_s


def test_health_shows_the_outbox_and_nothing_without_rules(engine, robot: Robot, clock: Clock) -> None:
    from intake.alarms.service import alarms_health
    from intake.config import load_config
    from tests.intake.alarms.conftest import ROOT

    site = load_config(ROOT / "intake/demo/demo.toml")
    assert alarms_health(site, engine) == {}
    cfg = alarms_config(robot.capture)
    raise_alarm(engine, cfg, _reject(clock, "a"), clock())
    site = site.model_copy(update={"alarms": cfg})
    assert alarms_health(site, engine) == {"alarms": {"pending": 3, "failed": 0}}
    _worker(engine, cfg, clock).run_once()   # the robot is down: all three wait
    assert alarms_health(site, engine) == {"alarms": {"pending": 3, "failed": 0}}
    robot.up()
    clock.advance(minutes=1)
    _worker(engine, cfg, clock).run_once()
    assert alarms_health(site, engine) == {"alarms": {"pending": 0, "failed": 0}}


def test_a_channel_that_fails_is_tried_once_a_pass_not_once_an_alarm(engine, robot: Robot, clock: Clock) -> None:
    cfg = alarms_config(robot.capture).model_copy(update={"backoff": Backoff(first_s=60)})
    cfg = cfg.model_copy(update={"rules": [cfg.rules[0].model_copy(update={"channels": ["wecom", "json"],
                                                                          "every_min": 0})]})
    for visit in "abc":
        raise_alarm(engine, cfg, _reject(clock, visit), clock())
    worker = _worker(engine, cfg, clock)
    assert worker.run_once() == 2   # one try per channel; the other four wait
    robot.up()
    assert worker.run_once() == 4   # the four not tried yet; the first two wait for their backoff
    clock.advance(seconds=60)
    assert worker.run_once() == 2 and backlog(engine) == 0 and len(robot.capture.posts) == 6
