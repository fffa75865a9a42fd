"""Safety faults on the simulated plant: a barrier arm that sticks, an I/O module that
freezes, a person walking into the deck zone and a truck rolling while the probe is out.

Truck 0 is good sand (a PASS without faults). Mid-cycle faults fire `delay_s` after its
sampler cycle starts (`at="sampling"`, a cycle of about 35 s), so they meet the probe out
over the truck whatever the load on the machine. Every run also fails (code 1, checked by
check_invariants) if any arm came down while a vehicle was over its loop.

A lane fault latches: the lane stays out of service after its condition has gone until a
technician runs `intake lane reset` (the harness's Technician does, as its own process), and
the trucks wait for that.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine
from sqlmodel import Session, select

from hardware.modbus.registers import SamplerCommand
from .injector import FaultSpec
from intake.lane.status import LaneStatus, LaneStep
from intake.store.db import open_engine
from intake.store.keys import load_key
from intake.store.lane_events import LaneEvent, record_fault
from intake.store.tables import SampleResult
from intake.web.i18n import REFUSALS, instruction
from .harness import PATIENT, Outcome, Technician, check_invariants, long_cycle, run_scenario


def _failures(tmp: Path) -> list[str | None]:
    engine = create_engine(f"sqlite:///{tmp / 'gate.db'}")
    try:
        with Session(engine) as session:
            return [r.failure for r in session.exec(select(SampleResult).order_by(SampleResult.id))]
    finally:
        engine.dispose()


def _lane_log(tmp: Path) -> list[tuple[str, list[str], str | None]]:
    engine = create_engine(f"sqlite:///{tmp / 'gate.db'}")
    try:
        with Session(engine) as session:
            return [(e.kind, list(e.faults), e.by) for e in session.exec(select(LaneEvent).order_by(LaneEvent.id))]
    finally:
        engine.dispose()


def _check_latched_until_reset(o: Outcome, tech: Technician, tmp: Path, fault: str, admitted_before: set[str]) -> None:
    """The lane stayed out of service, admitting nobody, from the fault until the reset, for a
    while after the fault's condition had gone; the reset is on the record with its author."""
    tech.done()
    seen = tech.statuses
    faulted = [i for i, s in enumerate(seen) if s.fault == fault]
    assert faulted, f"{fault} was never reported"
    waiting = [i for i, s in enumerate(seen) if s.awaiting_reset]
    assert waiting, "the lane came back by itself: the fault did not latch"
    assert all(seen[i].fault == fault for i in waiting)
    assert all(seen[i].step is LaneStep.OUT_OF_SERVICE for i in waiting if seen[i].visit is None)
    during = seen[faulted[0]:waiting[-1] + 1]
    assert {s.visit for s in during} <= admitted_before | {None}, "a truck was admitted while the lane was latched"
    assert [r.returncode for r in tech.resets] == [0], [(r.stdout, r.stderr) for r in tech.resets]
    log = _lane_log(tmp)
    assert ("fault", [fault], None) in log
    assert log[-2:] == [("reset_request", [], "technician Wang"), ("reset", [fault], "technician Wang")]
    assert not seen[-1].awaiting_reset and seen[-1].fault is None


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
    tech = Technician(tmp_path)
    # Frozen for 60 s: longer than the 25 s a heartbeat may stand still at 50x, inside the cycle.
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "gateio.freeze", at="sampling", delay_s=6.0, duration_s=60.0)],
                     setup=tech.setup, timing=PATIENT, config_text=long_cycle)
    check_invariants(o, touched={0})
    assert o.first(0).verdict == "review"
    assert "io_alive" in (_failures(tmp_path)[0] or "")
    assert any(s.fault == "gate_io_frozen" and s.step is LaneStep.OUT_OF_SERVICE for s in tech.statuses)
    # Truck 0 comes back to weigh out, truck 1 waits to come in: both only after the reset.
    _check_latched_until_reset(o, tech, tmp_path, "gate_io_frozen", {o.first(0).visit})


def test_a_stuck_exit_arm_closes_the_lane_until_a_technician_resets_it(tmp_path):
    # The plant arm sticks down while truck 0 is sampled; its PASS orders the arm up, the arm
    # does not move: after barrier_travel_s the lane is out of service and the kiosk says which
    # arm. A reset tried while the arm is still stuck is refused. Once the arm has risen and the
    # truck left, the lane stays closed (no truck admitted) until a technician resets it. The
    # arm stays stuck long enough (about 450 s simulated, 9 s of wall time, after the fault) for
    # the early reset's command to start and be answered while the fault is active.
    tech = Technician(tmp_path, too_early=True)
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "gateio.stick_plant", at="sampling", delay_s=2.0,
                                             duration_s=500.0)], setup=tech.setup, timing=PATIENT)
    check_invariants(o, touched=set())
    assert o.first(0).verdict == "pass" and o.first(1).visit
    active = [s for s in tech.statuses if s.fault == "barrier_plant_not_open" and not s.awaiting_reset]
    assert active and all(s.step is LaneStep.OUT_OF_SERVICE for s in active)
    assert instruction(active[0]) == REFUSALS["barrier_plant_not_open"]
    early, = tech.early
    assert early.returncode == 1 and "refused" in early.stderr and "barrier_plant_not_open" in early.stderr
    assert ("reset_refused", ["barrier_plant_not_open"], "technician Wang") in _lane_log(tmp_path)
    _check_latched_until_reset(o, tech, tmp_path, "barrier_plant_not_open", {o.first(0).visit})
    assert any(s.visit == o.first(1).visit for s in tech.statuses)   # in service again after the reset


def test_a_stuck_entry_arm_lets_no_truck_in_and_closes_the_lane(tmp_path):
    # The entry arm sticks down as truck 0 leaves the deck; truck 1, admitted next, is ordered
    # in but the arm never rises: its pass is void (REVIEW, nothing weighed), the lane is out of
    # service naming the entry arm, and the truck waits outside until the arm is freed and a
    # technician resets the lane; then it comes in on a new visit.
    # The technician looks for longer than the arm stays stuck, so the reset finds it free.
    tech = Technician(tmp_path, look_s=60.0)
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "gateio.stick_entry", at="left", duration_s=60.0)],
                     setup=tech.setup, timing=PATIENT)
    check_invariants(o, touched=set())
    stuck, after = o.of(1)[0], o.of(1)[1:]
    assert stuck.verdicts == ["review"] and stuck.reasons == [["barrier_entry_not_open"]]
    assert stuck.weights == {}, "a truck the entry arm kept out was weighed"
    assert len(after) == 1 and after[0].verdict == "pass" and "in" in after[0].weights
    active = [s for s in tech.statuses if s.fault == "barrier_entry_not_open" and not s.awaiting_reset]
    assert active and all(s.step is LaneStep.OUT_OF_SERVICE for s in active)
    zh, en = instruction(active[-1])
    assert (zh, en) == REFUSALS["barrier_entry_not_open"] and en.startswith("Entry barrier")
    _check_latched_until_reset(o, tech, tmp_path, "barrier_entry_not_open", {stuck.visit})


def test_the_lane_itself_stops_the_probe_when_the_sampler_client_polls_slowly(tmp_path):
    # The sampler client polls the PLC only every 60 s (a slow link), longer than the whole
    # cycle: its own interlock check would first look after a 10 s intrusion had ended. The
    # lane's tick sees the person and sends STOP at once; the load is held with the reason.
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "zone.intrusion", at="sampling", delay_s=6.0, duration_s=10.0)],
                     config_text=lambda t: t.replace("heartbeat_timeout_s = 2.0", "heartbeat_timeout_s = 2.0\npoll_s = 60.0"))
    check_invariants(o, touched={0})
    start, = [t for t, c in o.devices["sampler"].heard if c == SamplerCommand.START][:1]
    stops = [t for t, c in o.devices["sampler"].heard if c == SamplerCommand.STOP and t > start]
    assert stops and stops[0] - o.fired_at[0] < 10.0, "no STOP while the person was in the zone"
    assert o.first(0).verdict == "review" and o.first(0).reasons[-1] == ["interlock:zone_clear"]
    assert _failures(tmp_path)[0] == "interlock:zone_clear"


def test_a_restart_does_not_reset_a_latched_lane(tmp_path):
    # A gate stopped with the return arm's switches latched as faulty (the record its lane wrote)
    # starts again on the same store: the lane comes up out of service naming the arm and admits
    # nobody until a technician resets it.
    run_scenario(tmp_path, 1, [])
    engine = open_engine(f"sqlite:///{tmp_path / 'gate.db'}", load_key(f"file:{tmp_path / 'audit.key'}"))
    record_fault(engine, "1", ("barrier_return_limits",))
    engine.dispose()
    tech = Technician(tmp_path, look_s=5.0)
    o = run_scenario(tmp_path, 2, [], setup=tech.setup, timing=PATIENT)
    check_invariants(o, touched=set(), fired=0)
    first = next(i for i, s in enumerate(tech.statuses) if s.fault)
    assert tech.statuses[first].fault == "barrier_return_limits" and tech.statuses[first].awaiting_reset
    assert all(s.visit is None for s in tech.statuses[:first])
    _check_latched_until_reset(o, tech, tmp_path, "barrier_return_limits", set())
    assert o.first(1).verdict == "pass"
