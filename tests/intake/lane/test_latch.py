"""The pure lane machine's fault latch (a fault keeps the lane closed until a technician's reset
finds nothing active) and its own probe interlock check (STOP, hold, a break recorded beside an
ended inspection). Random sequences: tests/faults/test_lane_machine_stateful.py."""
from __future__ import annotations

from intake.config import WeighingConfig
from intake.lane.machine import (
    Admitted, Barrier, InspectionDone, Interlocks, LaneFaults, LaneReset, LaneState, Phase, ProbeCycle, Readings,
    RecordHold, RecordLatch, RecordReset, Refuse, StopProbe, not_admissible, step,
)

CFG = WeighingConfig(stable_band_kg=20, stable_time_s=2.0, min_load_kg=1000, max_kg=60000,
                     zero_band_kg=40, settle_timeout_s=60.0)
STUCK = ("barrier_entry_not_open",)


def idle() -> LaneState:
    state, _ = step(LaneState(), Readings(0.0, 0, False, False, False, False), CFG)
    return state


def inspecting() -> LaneState:
    state, _ = step(idle(), Admitted(1.0, "v1", "p", "in"), CFG)
    t = 2.0
    while state.phase is not Phase.INSPECTING:
        state, _ = step(state, Readings(t, 30000, False, False, False, True), CFG)
        t += 0.25
    return state


def test_a_fault_stays_latched_after_its_condition_has_gone():
    state, cmds = step(idle(), LaneFaults(1.0, STUCK), CFG)
    assert cmds == [RecordLatch(STUCK)]
    state, cmds = step(state, LaneFaults(5.0, ()), CFG)      # the arm follows again
    assert cmds == [] and state.faults == () and state.latched == STUCK
    assert not_admissible(state) == "lane_fault"
    later, cmds = step(state, Admitted(60.0, "v1", "p", "in"), CFG)
    assert cmds == [Refuse("lane_fault")] and later.phase is Phase.IDLE


def test_a_reset_is_refused_while_a_fault_is_active_and_clears_nothing():
    state, _ = step(idle(), LaneFaults(1.0, STUCK), CFG)
    state, cmds = step(state, LaneReset(2.0, "wang", 7), CFG)
    assert cmds == [RecordReset("wang", 7, (), STUCK)] and state.latched == STUCK
    state, _ = step(state, LaneFaults(3.0, ()), CFG)
    state, cmds = step(state, LaneReset(4.0, "wang", 8), CFG)
    assert cmds == [RecordReset("wang", 8, STUCK, ())] and state.latched == ()
    state, cmds = step(state, Admitted(5.0, "v1", "p", "in"), CFG)
    assert cmds == [Barrier("entry", True)]


def test_every_fault_since_the_last_reset_is_latched_and_each_recorded_once():
    state, cmds = step(idle(), LaneFaults(1.0, ("gate_io_frozen",)), CFG)
    assert cmds == [RecordLatch(("gate_io_frozen",))]
    state, cmds = step(state, LaneFaults(2.0, ("gate_io_frozen", "barrier_plant_limits")), CFG)
    assert cmds == [RecordLatch(("barrier_plant_limits",))]
    state, cmds = step(state, LaneFaults(3.0, ()), CFG)
    state, cmds = step(state, LaneFaults(4.0, ("gate_io_frozen",)), CFG)   # again before any reset
    assert cmds == [] and state.latched == ("gate_io_frozen", "barrier_plant_limits")


def test_a_pass_finishes_under_a_latched_fault_and_the_latch_outlives_it():
    state = inspecting()
    state, _ = step(state, InspectionDone(10.0, "pass"), CFG)
    state, cmds = step(state, LaneFaults(20.0, ("barrier_plant_not_open",)), CFG)
    assert cmds == [RecordLatch(("barrier_plant_not_open",))]
    assert state.verdict == "pass" and state.holds == ()   # a barrier fault says nothing of the load
    state, _ = step(state, LaneFaults(30.0, ()), CFG)
    for t in (31.0, 31.5, 34.0):
        state, _ = step(state, Readings(t, 0, False, False, False, False), CFG)
    assert state.phase is Phase.IDLE and state.latched == ("barrier_plant_not_open",)
    assert not_admissible(state) == "lane_fault"


def test_a_break_while_the_probe_runs_stops_it_once_per_set_and_holds_the_load():
    state, _ = step(inspecting(), ProbeCycle(5.0, True), CFG)
    state, cmds = step(state, Interlocks(6.0, ("zone_clear",)), CFG)
    assert cmds == [StopProbe("interlock:zone_clear")] and state.holds == ("interlock:zone_clear",)
    state, cmds = step(state, Interlocks(6.25, ("zone_clear",)), CFG)
    assert cmds == []
    state, cmds = step(state, Interlocks(6.5, ("truck_steady", "zone_clear")), CFG)
    assert cmds == [StopProbe("interlock:truck_steady,zone_clear")]
    assert state.probe_stopped == ("truck_steady", "zone_clear")
    state, _ = step(state, ProbeCycle(8.0, False), CFG)
    # The sampler reported nothing wrong: the lane's own hold still keeps the load off the plant.
    state, cmds = step(state, InspectionDone(12.0, "pass"), CFG)
    assert Barrier("return", True) in cmds and Barrier("plant", True) not in cmds
    assert state.verdict == "review" and RecordHold("v1", state.holds) in cmds


def test_no_probe_cycle_no_stop():
    for state in (idle(), inspecting()):
        assert step(state, Interlocks(6.0, ("zone_clear",)), CFG) == (state, [])
    before = step(inspecting(), ProbeCycle(5.0, True), CFG)[0]
    assert step(before, Interlocks(6.0, ()), CFG) == (before, [])


def test_a_break_after_the_inspection_ended_is_recorded_beside_its_decision():
    state, _ = step(inspecting(), ProbeCycle(5.0, True), CFG)
    state, _ = step(state, InspectionDone(9.0, "pass"), CFG)
    assert state.phase is Phase.ROUTING and not state.probe and state.route == "plant"
    state, cmds = step(state, Interlocks(9.5, ("zone_clear",)), CFG)
    assert cmds == [RecordHold("v1", ("interlock:zone_clear",))]
    assert state.route == "plant" and "interlock:zone_clear" in state.reasons
    assert step(state, Interlocks(9.75, ("zone_clear",)), CFG)[1] == []   # once
