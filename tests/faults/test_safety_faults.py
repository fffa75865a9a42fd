"""Safety faults on the simulated plant: a barrier arm that sticks, an I/O module that
freezes, a person walking into the deck zone and a truck rolling while the probe is out.

Truck 0 is good sand (a PASS without faults). Mid-cycle faults fire `delay_s` after its
sampler cycle starts (`at="sampling"`, a cycle of about 35 s), so they meet the probe out
over the truck whatever the load on the machine. Every run also fails (code 1, checked by
check_invariants) if any arm came down while a vehicle was over its loop.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine
from sqlmodel import Session, select

from intake.demo.runner import FaultSpec
from intake.lane.status import LaneStatus, LaneStep
from intake.store.tables import SampleResult
from .harness import check_invariants, run_scenario


def _failures(tmp: Path) -> list[str | None]:
    engine = create_engine(f"sqlite:///{tmp / 'gate.db'}")
    try:
        with Session(engine) as session:
            return [r.failure for r in session.exec(select(SampleResult).order_by(SampleResult.id))]
    finally:
        engine.dispose()


def _record_statuses(seen: list[LaneStatus]):
    def setup(gate) -> None:
        publish = gate.hub.publish

        def recording(status: LaneStatus) -> None:
            seen.append(status)
            publish(status)
        gate.hub.publish = recording
    return setup


def test_a_person_in_the_deck_zone_stops_the_probe_and_holds_the_load(tmp_path):
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "zone.intrusion", at="sampling", delay_s=6.0,
                                             duration_s=10.0)])
    check_invariants(o, touched={0})
    assert o.first(0).verdict == "review" and o.first(0).reasons[-1] == ["interlock:zone_clear"]
    assert _failures(tmp_path)[0] == "interlock:zone_clear"
    assert o.first(1).verdict == "pass"       # the zone clear again: the next truck is sampled


def test_a_truck_rolling_during_sampling_stops_the_probe_and_holds_the_load(tmp_path):
    # 1.5 m at 0.5 m/s: still wholly on the deck, gratings clear, the weight the same; only the
    # indicator's motion tells.
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "truck.roll", at="sampling", delay_s=6.0, amount=1.5)])
    check_invariants(o, touched={0})
    assert o.first(0).verdict == "review"
    assert o.first(0).reasons[-1][0].startswith("interlock:") and "truck_steady" in o.first(0).reasons[-1][0]
    assert "truck_steady" in (_failures(tmp_path)[0] or "")


def test_a_frozen_io_module_closes_the_lane_and_stops_the_probe(tmp_path):
    seen: list[LaneStatus] = []
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "gateio.freeze", at="sampling", delay_s=6.0, duration_s=10.0)],
                     setup=_record_statuses(seen))
    check_invariants(o, touched={0})
    assert o.first(0).verdict == "review"
    assert "io_alive" in (_failures(tmp_path)[0] or "")
    assert any(s.fault == "gate_io_frozen" and s.step is LaneStep.OUT_OF_SERVICE for s in seen)


def test_a_stuck_exit_arm_closes_the_lane_until_it_follows_again(tmp_path):
    # The plant arm sticks down while truck 0 is sampled; its PASS orders the arm up, the arm
    # does not move: after barrier_travel_s the lane is out of service, the kiosk says which
    # arm, and no truck is admitted until the arm has risen and the truck left.
    seen: list[LaneStatus] = []
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "gateio.stick_plant", at="sampling", delay_s=2.0,
                                             duration_s=90.0)], setup=_record_statuses(seen))
    check_invariants(o, touched=set())
    assert o.first(0).verdict == "pass" and o.first(1).visit
    faulted = [i for i, s in enumerate(seen) if s.fault == "barrier_plant_not_open"]
    assert faulted, "the stuck arm was never reported"
    assert all(seen[i].step is LaneStep.OUT_OF_SERVICE for i in faulted)
    during = seen[faulted[0]:faulted[-1] + 1]
    assert {s.visit for s in during} <= {o.first(0).visit, None}, "a truck was admitted while the arm was stuck"
    assert any(s.visit == o.first(1).visit for s in seen[faulted[-1]:])   # the lane came back
