"""The observer: pure snapshot changes, and the watcher on a real gate database and StatusHub
finding REJECT decisions, REVIEWs left waiting, a lane closing, a chain failure and a low disk,
each written once to the outbox."""
from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hardware.sim.trucks import DEMO_MIX
from intake.alarms.config import AlarmsConfig
from intake.alarms.limits import aware
from intake.alarms.outbox import recent
from intake.alarms.tables import Alarm
from intake.alarms.watch import AlarmWatcher, LaneView, Snapshot, changes, store_folder
from intake.alarms.worker import DeliveryWorker
from intake.demo import masterdata
from intake.lane.status import LaneStatus, LaneStep, StatusHub
from intake.store.db import make_engine
from intake.store.records import Admission, Records
from intake.store.tables import Decision
from tests.intake.alarms.conftest import T0, Capture, Clock, alarms_config


def _events(prev: Snapshot | None, cur: Snapshot, disk: Sequence[float] = ()) -> list[tuple[str, str | None, str]]:
    return [(e.event, e.lane, e.detail) for e in changes(prev, cur, disk)]


def test_a_lane_closing_is_one_alarm_and_each_new_fault_one_more() -> None:
    open_ = Snapshot(T0, {"1": LaneView(False), "2": LaneView(False)})
    closed = Snapshot(T0, {"1": LaneView(True, "gate_io_frozen"), "2": LaneView(False)})
    worse = Snapshot(T0, {"1": LaneView(True, "gate_io_frozen, entry_arm_stuck"), "2": LaneView(False)})
    assert _events(None, open_) == []
    assert _events(open_, closed) == [("lane_closed", "1", "gate_io_frozen"), ("device_fault", "1", "gate_io_frozen")]
    assert _events(closed, closed) == []
    assert _events(closed, worse) == [("device_fault", "1", "entry_arm_stuck")]
    assert _events(worse, open_) == []
    assert _events(None, closed)[0] == ("lane_closed", "1", "gate_io_frozen")   # closed already at start


def test_chain_gate_faults_and_disk_thresholds() -> None:
    ok = Snapshot(T0, free_gb=50.0)
    bad = Snapshot(T0, chain_problem="row_mismatch at seq 7", gate_faults=frozenset({"model_unavailable: x"}), free_gb=4.0)
    assert _events(ok, bad, [5.0, 20.0]) == [
        ("device_fault", None, "model_unavailable: x"), ("chain_failure", None, "row_mismatch at seq 7"),
        ("disk_low", None, "剩余 4.0 GB，低于 5 GB / 4.0 GB free, under 5 GB"),
        ("disk_low", None, "剩余 4.0 GB，低于 20 GB / 4.0 GB free, under 20 GB")]
    assert _events(bad, bad, [5.0, 20.0]) == []
    from_ten = changes(Snapshot(T0, free_gb=10.0), bad, [5.0, 20.0])
    assert [e.threshold for e in from_ten if e.event == "disk_low"] == [5.0]   # 20 was crossed before


def test_the_store_folder_is_the_sqlite_files() -> None:
    assert store_folder("sqlite:////srv/gate/intake.db", Path("var")).as_posix() == "/srv/gate"
    assert store_folder("postgresql://u@h/db", Path("var")).as_posix() == "var"


def _records(engine: Engine) -> tuple[Records, list[str]]:
    records = Records(engine)
    trucks = list(DEMO_MIX[:2])
    masterdata.seed(engine, trucks)
    visits = []
    for truck in trucks:
        adm = records.admit(truck.plate, "1")
        assert isinstance(adm, Admission)
        visits.append(adm.visit)
    return records, visits


def _cfg(capture: Capture, **rules: dict[str, object]) -> AlarmsConfig:
    base = alarms_config(capture)
    raw = [{"event": e, "channels": ["json"], "every_min": 0, **extra} for e, extra in rules.items()]
    return AlarmsConfig.model_validate({**base.model_dump(), "rules": raw})


def test_watcher_raises_new_rejects_and_reviews_left_waiting(engine, capture: Capture, clock: Clock, tmp_path) -> None:
    records, (v_reject, v_review) = _records(engine)
    cfg = _cfg(capture, reject={}, review_waiting={"after_min": 30})
    hub = StatusHub()
    watcher = AlarmWatcher(engine, cfg, hub, now=clock, folder=tmp_path)
    assert watcher.look(watcher.snapshot()) == []
    records.record_decision(v_reject, "reject", ["muddy", "wrong_material"], "muddy")
    records.record_decision(v_review, "review", ["low_confidence"], None)
    with Session(engine) as session:
        decided = aware(session.exec(select(Decision).where(Decision.visit_id == v_review)).one().decided_at)
    clock.at = decided + timedelta(minutes=29)
    assert [r.rule for r in watcher.look(watcher.snapshot())] == ["0.reject"]
    clock.at = decided + timedelta(minutes=31)
    assert [r.rule for r in watcher.look(watcher.snapshot())] == ["1.review_waiting"]
    clock.advance(minutes=30)
    assert watcher.look(watcher.snapshot()) == []   # one alarm per visit and rule
    DeliveryWorker(engine, cfg, "Plant", "Asia/Shanghai", clock).run_once()
    reject, review = (p.body for p in capture.posts)
    assert (reject["event"], reject["plate"], reject["lane"], reject["reasons"]) == (
        "reject", DEMO_MIX[0].plate, "1", ["muddy", "wrong_material"])
    assert reject["reasons_zh"] == "含泥量超标；物料与订单不符"
    assert (review["event"], review["plate"], review["visit"]) == ("review_waiting", DEMO_MIX[1].plate, v_review)
    assert "waiting 31 min" in review["detail"]


def test_watcher_sees_the_hub_the_chain_and_the_disk(engine, capture: Capture, clock: Clock, tmp_path) -> None:
    cfg = _cfg(capture, lane_closed={}, chain_failure={}, disk_low={"below_gb": 1e9})
    hub = StatusHub()
    hub.publish(LaneStatus(lane="1", step=LaneStep.IDLE))
    problem: list[str] = []
    watcher = AlarmWatcher(engine, cfg, hub, now=clock, folder=tmp_path,
                           chain_problem=lambda: problem[0] if problem else None)
    assert [r.rule for r in watcher.look(watcher.snapshot())] == ["2.disk_low"]   # under 1e9 GB: always
    hub.publish(LaneStatus(lane="1", step=LaneStep.OUT_OF_SERVICE, fault="store:full"))
    problem.append("row_mismatch at seq 3 (decision 2)")
    clock.advance(seconds=5)
    assert sorted(r.rule for r in watcher.look(watcher.snapshot())) == ["0.lane_closed", "1.chain_failure"]
    clock.advance(seconds=5)
    assert watcher.look(watcher.snapshot()) == []
    events = {x.alarm.event: x.alarm.body for x in recent(engine)}
    assert events["lane_closed"]["detail"] == "store:full" and events["lane_closed"]["lane"] == "1"


def test_a_broken_store_never_stops_the_watcher_or_raises(capture: Capture, clock: Clock, tmp_path) -> None:
    broken = make_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")   # no migrations: every write fails
    cfg = _cfg(capture, lane_closed={})
    hub = StatusHub()
    watcher = AlarmWatcher(broken, cfg.model_copy(update={"poll_s": 0.01}), hub, now=clock, folder=tmp_path)

    async def main() -> int:
        stop = asyncio.Event()
        task = asyncio.create_task(watcher.run(stop))
        for n in range(5):
            hub.publish(LaneStatus(lane="1", step=LaneStep.OUT_OF_SERVICE if n % 2 else LaneStep.IDLE))
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 5)
        return 0

    assert asyncio.run(main()) == 0
    assert watcher.prev is not None   # it kept looking
    broken.dispose()


def test_rules_for_a_lane_list(engine, capture: Capture, clock: Clock, tmp_path) -> None:
    cfg = _cfg(capture, lane_closed={"lanes": ["2"]})
    hub = StatusHub()
    hub.publish(LaneStatus(lane="1", step=LaneStep.OUT_OF_SERVICE, fault="x"))
    hub.publish(LaneStatus(lane="2", step=LaneStep.OUT_OF_SERVICE, fault="y"))
    AlarmWatcher(engine, cfg, hub, now=clock, folder=tmp_path).look(Snapshot(clock(), {
        lane: LaneView.of(s) for lane in hub.lanes() if (s := hub.latest(lane))}))
    with Session(engine) as session:
        assert [a.lane for a in session.exec(select(Alarm)).all()] == ["2"]


def test_an_outbox_that_cannot_write_still_gets_the_alarm_out_once(engine, capture: Capture, clock: Clock,
                                                                   tmp_path) -> None:
    from intake.alarms.service import direct_sender
    from intake.config import load_config
    from tests.intake.alarms.conftest import ROOT

    cfg = _cfg(capture, lane_closed={})
    gate_cfg = load_config(ROOT / "intake/demo/demo.toml").model_copy(update={"alarms": cfg})
    with engine.begin() as con:   # the store stops taking alarm rows (as a full disk would)
        con.exec_driver_sql("ALTER TABLE alarm RENAME TO alarm_away")
    hub = StatusHub()
    watcher = AlarmWatcher(engine, cfg, hub, now=clock, folder=tmp_path, direct=direct_sender(gate_cfg, clock))
    hub.publish(LaneStatus(lane="1", step=LaneStep.OUT_OF_SERVICE, fault="store:full"))
    assert watcher.look(watcher.snapshot()) == []
    watcher.look(watcher.snapshot())
    [post] = capture.posts
    assert post.path == "/json" and post.body["event"] == "lane_closed" and post.body["detail"] == "store:full"


def test_fault_codes_are_worded_like_the_kiosk_words_them() -> None:
    from intake.alarms.messages import fault_words, text

    [closed, _] = changes(None, Snapshot(T0, {"1": LaneView(True, "store:full")}))
    assert closed.faults == ["store:full"]
    assert "故障 Fault: 存储空间已满，暂停入场，请联系技术人员 / Storage full: no entry, call the technician (store:full)" \
        in text(closed, "Plant", "UTC")
    assert fault_words("watchdog:scale:silent")[1] == "A device program is restarting: no entry, please wait"
    assert fault_words("something_new") == ("something_new", "something_new")


def test_a_decision_a_device_forced_is_a_device_fault(engine: Engine, capture: Capture, clock: Clock,
                                                      tmp_path: Path) -> None:
    records, (v_sampler, v_clean) = _records(engine)
    cfg = _cfg(capture, device_fault={})
    watcher = AlarmWatcher(engine, cfg, StatusHub(), now=clock, folder=tmp_path)
    watcher.look(watcher.snapshot())
    records.record_decision(v_sampler, "review", ["sampler:heartbeat lost"], None)
    records.record_decision(v_clean, "review", ["low_confidence"], None)   # no device in it
    assert [r.rule for r in watcher.look(watcher.snapshot())] == ["0.device_fault"]
    DeliveryWorker(engine, cfg, "Plant", "Asia/Shanghai", clock).run_once()
    [post] = capture.posts
    assert (post.body["event"], post.body["visit"], post.body["detail"]) == ("device_fault", v_sampler,
                                                                             "sampler:heartbeat lost")
    assert post.body["plate"] == DEMO_MIX[0].plate and post.body["lane"] == "1"


def test_a_restarted_watcher_looks_again_at_what_was_decided_just_before(engine: Engine, capture: Capture,
                                                                          clock: Clock, tmp_path: Path) -> None:
    records, (v_old, v_late) = _records(engine)
    records.record_decision(v_old, "reject", ["muddy"], "muddy")
    with engine.begin() as con:   # decided an hour before the last decision: long settled
        con.exec_driver_sql("UPDATE decision SET decided_at = datetime(decided_at, '-1 hour') WHERE visit_id = ?",
                            (v_old,))
    records.record_decision(v_late, "reject", ["foreign_matter"], "foreign")   # then the gate crashes
    cfg = _cfg(capture, reject={})
    restarted = AlarmWatcher(engine, cfg, StatusHub(), now=clock, folder=tmp_path)
    assert [r.rule for r in restarted.look(restarted.snapshot())] == ["0.reject"]   # the late one, not the old
    again = AlarmWatcher(engine, cfg, StatusHub(), now=clock, folder=tmp_path)
    assert again.look(again.snapshot()) == []   # a second restart: already in the outbox
    with Session(engine) as session:
        assert [a.body["visit"] for a in session.exec(select(Alarm)).all()] == [v_late]


def test_two_review_rules_each_fire_at_their_own_minutes(engine: Engine, capture: Capture, clock: Clock,
                                                         tmp_path: Path) -> None:
    records, (visit, _) = _records(engine)
    base = alarms_config(capture)
    cfg = AlarmsConfig.model_validate({**base.model_dump(), "rules": [
        {"event": "review_waiting", "after_min": 30, "channels": ["json"]},
        {"event": "review_waiting", "after_min": 60, "channels": ["wecom"]},
        {"event": "disk_low", "below_gb": 1e9, "channels": ["json"]},
        {"event": "disk_low", "below_gb": 1e12, "channels": ["wecom"]}]})
    watcher = AlarmWatcher(engine, cfg, StatusHub(), now=clock, folder=tmp_path)
    records.record_decision(visit, "review", ["low_confidence"], None)
    with Session(engine) as session:
        decided = aware(session.exec(select(Decision)).one().decided_at)
    clock.at = decided + timedelta(minutes=31)
    assert sorted(r.rule for r in watcher.look(watcher.snapshot())) == ["0.review_waiting", "2.disk_low",
                                                                        "3.disk_low"]
    clock.at = decided + timedelta(minutes=61)
    assert [r.rule for r in watcher.look(watcher.snapshot())] == ["1.review_waiting"]
