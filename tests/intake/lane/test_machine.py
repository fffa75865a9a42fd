"""The lane state machine, transition by transition, and invariants under random event runs."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.config import WeighingConfig
from intake.lane.machine import (
    Admitted, Barrier, Inspect, InspectionDone, LaneFaults, LaneState, Phase, Readings, RecordHold, RecordLatch, RecordVoid,
    RecordWeight, Refuse, step,
)
from intake.lane.events import LoadAccepted

CFG = WeighingConfig(stable_band_kg=20, stable_time_s=2.0, min_load_kg=1000, max_kg=60000,
                     zero_band_kg=40, settle_timeout_s=60.0)


def r(now: float, kg: int | None, *, motion: bool | None = False, front: bool = False, rear: bool = False,
      deck: bool = True, entry: bool = False, exit: bool = False) -> Readings:
    return Readings(now, kg, motion, front, rear, deck, entry, exit)


def idle_at_zero() -> LaneState:
    state, cmds = step(LaneState(), r(0.0, 0, deck=False), CFG)
    assert state.phase is Phase.IDLE and state.deck_zero and cmds == []
    return state


def on_deck(kind: str = "in") -> LaneState:
    state, cmds = step(idle_at_zero(), Admitted(1.0, "v1", "沪A1", kind), CFG)  # type: ignore[arg-type]
    assert cmds == [Barrier("entry", True)] and state.phase is Phase.ENTERING
    state, cmds = step(state, r(2.0, 30000), CFG)
    assert cmds == [Barrier("entry", False)] and state.phase is Phase.WEIGHING
    return state


def settle(state: LaneState, kg: int, start: float = 3.0, seconds: float = 2.5):
    cmds_all = []
    t = start
    while t <= start + seconds:
        state, cmds = step(state, r(t, kg), CFG)
        cmds_all += cmds
        t += 0.25
    return state, cmds_all


def test_admission_needs_idle_and_zero_deck():
    loaded, cmds = step(LaneState(), r(0.0, 500, deck=True), CFG)
    assert not loaded.deck_zero
    state, cmds = step(loaded, Admitted(1.0, "v", "p", "in"), CFG)
    assert cmds == [Refuse("deck_not_zero")] and state.phase is Phase.IDLE
    busy = on_deck()
    state, cmds = step(busy, Admitted(5.0, "v2", "p2", "in"), CFG)
    assert cmds == [Refuse("lane_busy")] and state == busy


def test_entry_barrier_waits_for_truck_fully_on_and_loop_clear():
    state, _ = step(idle_at_zero(), Admitted(1.0, "v1", "p", "in"), CFG)
    for blocked in (dict(rear=True), dict(front=True), dict(entry=True), dict(deck=False)):
        after, cmds = step(state, r(2.0, 20000, **blocked), CFG)
        assert after.phase is Phase.ENTERING and cmds == []


def test_weigh_in_records_then_inspects_only_after_stable_window():
    state, cmds = settle(on_deck(), 30000, seconds=1.5)
    assert cmds == [] and state.phase is Phase.WEIGHING
    state, cmds = settle(state, 30000, start=4.75, seconds=1.0)
    assert cmds == [RecordWeight("v1", "in", 30000), Inspect("v1")]
    assert state.phase is Phase.INSPECTING and state.weight_kg == 30000


def test_weight_within_band_is_steady_but_a_jump_restarts_the_window():
    state = on_deck()
    for t, kg in [(3.0, 30000), (3.5, 30015), (4.0, 29990), (4.5, 30100)]:
        state, cmds = step(state, r(t, kg), CFG)
        assert cmds == []
    assert state.steady is not None and state.steady.anchor == 30100 and state.steady.start == 4.5


def test_without_a_motion_flag_only_identical_frames_are_steady():
    state = on_deck()
    for t, kg in [(3.0, 30000), (3.5, 30000), (4.0, 30020)]:   # one division of change
        state, cmds = step(state, r(t, kg, motion=None), CFG)
        assert cmds == []
    assert state.steady is not None and (state.steady.anchor, state.steady.start) == (30020, 4.0)
    for t in (4.5, 5.0, 5.5):
        state, cmds = step(state, r(t, 30020, motion=None), CFG)
        assert cmds == []
    state, cmds = step(state, r(6.0, 30020, motion=None), CFG)   # 2 s of identical frames
    assert cmds == [RecordWeight("v1", "in", 30020), Inspect("v1")]
    # With a motion flag the same 20 kg step is inside the band and keeps the window.
    state = on_deck()
    for t, kg in [(3.0, 30000), (3.5, 30000), (4.0, 30020)]:
        state, _ = step(state, r(t, kg), CFG)
    assert state.steady is not None and state.steady.start == 3.0


def test_one_old_frame_looked_at_for_the_whole_window_is_not_a_stable_weight():
    # A polled indicator on a busy link: the frame read at every tick arrived at 3.0 s, while
    # the truck was still driving on, and nothing newer comes. However long the lane looks at
    # it, no weight is recorded; a frame that arrived 2 s into the window is.
    state = on_deck()
    for t in (3.0, 4.0, 5.0, 6.0, 8.0, 12.0):
        state, cmds = step(state, Readings(t, 33820, None, False, False, True, frame_at=3.0), CFG)
        assert cmds == [], t
    assert state.steady is not None and state.steady.start == 3.0
    state, cmds = step(state, Readings(12.5, 33820, None, False, False, True, frame_at=4.9), CFG)
    assert cmds == []                                   # arrived 1.9 s into the window
    state, cmds = step(state, Readings(13.0, 33820, None, False, False, True, frame_at=5.0), CFG)
    assert cmds == [RecordWeight("v1", "in", 33820), Inspect("v1")]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 5.0)), min_size=1, max_size=40))
def test_a_weight_is_recorded_only_from_a_frame_that_arrived_a_full_window_after_it_began(ticks):
    # Ticks (gap, frame age) of one identical weight: whatever the timing, the recorded frame
    # arrived at least stable_time_s after the window's first tick.
    state, t = on_deck(), 3.0
    start = None
    for gap, age in ticks:
        t += gap
        state, cmds = step(state, Readings(t, 30000, False, False, False, True, frame_at=t - age), CFG)
        start = state.steady.start if state.steady is not None and start is None else start
        if cmds:
            assert start is not None and (t - age) - start >= CFG.stable_time_s
            break


def test_motion_flag_blocked_grating_or_unknown_weight_restart_the_window():
    for kwargs in (dict(motion=True), dict(rear=True), dict(front=True)):
        state, _ = settle(on_deck(), 30000, seconds=1.5)
        state, cmds = step(state, r(4.6, 30000, **kwargs), CFG)
        assert state.steady is None and cmds == []
    state, _ = settle(on_deck(), 30000, seconds=1.5)
    state, cmds = step(state, r(4.6, None), CFG)
    assert state.steady is None and state.unknown_since == 4.6


def test_weight_unknown_too_long_voids_the_pass_to_review():
    state = on_deck()
    state, _ = step(state, r(3.0, None), CFG)
    state, cmds = step(state, r(7.5, None), CFG)
    assert cmds == []
    state, cmds = step(state, r(8.5, None), CFG)
    assert cmds == [RecordVoid("v1", "weight_unknown"), Barrier("return", True)]
    assert state.verdict == "review" and state.route == "return"


def test_out_of_range_weight_is_never_recorded():
    for kg in (500, 61000):
        state, cmds = settle(on_deck(), kg, seconds=4.0)
        assert all(not isinstance(c, RecordWeight) for c in cmds)


def test_settle_timeout_voids():
    state = on_deck()
    state, cmds = step(state, r(70.0, 30000, motion=True), CFG)
    assert cmds == [RecordVoid("v1", "no_stable_weight"), Barrier("return", True)]


def test_truck_that_never_arrives_is_voided():
    state, _ = step(idle_at_zero(), Admitted(1.0, "v1", "p", "in"), CFG)
    state, cmds = step(state, r(62.0, 0, deck=False), CFG)
    # Its entry arm is no longer needed and its loop has been clear all along: down with it.
    assert cmds == [RecordVoid("v1", "truck_not_on_deck"), Barrier("return", True), Barrier("entry", False)]


def test_an_entry_left_open_by_a_void_waits_for_its_loop():
    state, _ = step(idle_at_zero(), Admitted(1.0, "v1", "p", "in"), CFG)
    state, _ = step(state, r(1.5, 0, deck=False, entry=True), CFG)   # the truck is under the arm
    state, cmds = step(state, r(62.0, 0, deck=False, entry=True), CFG)
    assert cmds == [RecordVoid("v1", "truck_not_on_deck"), Barrier("return", True)]
    state, cmds = step(state, r(63.0, 0, deck=False), CFG)
    assert Barrier("entry", False) not in cmds      # clear for an instant only
    state, cmds = step(state, r(65.0, 0, deck=False), CFG)
    assert Barrier("entry", False) in cmds


def leave_deck(state: LaneState, t: float) -> tuple[LaneState, float]:
    """The truck drives off: its tail leaves the deck while its body is over the exit loop."""
    state, cmds = step(state, r(t, 12000, front=True, exit=True), CFG)
    assert cmds == []
    state, cmds = step(state, r(t + 1, 0, deck=False, exit=True), CFG)
    assert cmds == [], "the deck reads zero but the tail is under the exit arm"
    return state, t + 2


def test_inspection_verdict_routes_and_the_exit_closes_once_its_loop_stays_clear():
    for verdict, route in (("pass", "plant"), (None, "plant"), ("reject", "return"), ("review", "return")):
        state, _ = settle(on_deck(), 30000, seconds=3.0)
        state, cmds = step(state, InspectionDone(9.0, verdict, ("r",) if verdict else ()), CFG)
        # A load let into the plant is announced first (a stored tare may end its delivery there).
        accepted = [LoadAccepted("v1")] if route == "plant" else []
        assert cmds == [*accepted, Barrier(route, True)] and state.phase is Phase.ROUTING
        state, t = leave_deck(state, 10.0)
        state, cmds = step(state, r(t, 0, deck=False), CFG)
        assert cmds == [] and state.phase is Phase.IDLE     # pass over, arm not down yet
        state, cmds = step(state, Admitted(t + 0.5, "v2", "p2", "in"), CFG)
        assert cmds == [Refuse("exit_open")]                # nobody in while an exit is up
        state, cmds = step(state, r(t + 1.0, 0, deck=False, exit=True), CFG)   # trailer gap
        assert cmds == []
        state, cmds = step(state, r(t + 2.0, 0, deck=False, entry=True), CFG)
        assert cmds == []
        state, cmds = step(state, r(t + 4.0, 0, deck=False, entry=True), CFG)
        assert cmds == [Barrier(route, False)] and state.open == frozenset()


def test_a_lane_fault_refuses_admission_voids_weighing_and_holds_an_inspection():
    state, cmds = step(idle_at_zero(), LaneFaults(0.5, ("barrier_plant_not_closed",)), CFG)
    assert cmds == [RecordLatch(("barrier_plant_not_closed",))]
    state, cmds = step(state, Admitted(1.0, "v1", "p", "in"), CFG)
    assert cmds == [Refuse("lane_fault")]
    state, _ = step(state, LaneFaults(1.5, ()), CFG)
    weighing = on_deck()
    _, cmds = step(weighing, LaneFaults(3.0, ("gate_io_frozen",)), CFG)
    assert cmds == [RecordLatch(("gate_io_frozen",)), RecordVoid("v1", "gate_io_frozen"), Barrier("return", True)]
    inspecting, _ = settle(on_deck(), 30000, seconds=3.0)
    held, cmds = step(inspecting, LaneFaults(7.0, ("gate_io_frozen",)), CFG)
    assert cmds == [RecordLatch(("gate_io_frozen",))] and held.holds == ("gate_io_frozen",)
    same, cmds = step(held, LaneFaults(7.5, ("gate_io_frozen",)), CFG)
    assert cmds == [] and same == held


def test_inspection_result_outside_inspecting_is_ignored():
    state = idle_at_zero()
    assert step(state, InspectionDone(1.0, "pass"), CFG) == (state, [])


def test_weigh_out_records_tare_and_sends_out_by_return():
    state, cmds = settle(on_deck("out"), 14000, seconds=3.0)
    assert cmds == [RecordWeight("v1", "out", 14000), Barrier("return", True)]
    assert state.phase is Phase.ROUTING


# ---- invariants over random event sequences ---------------------------------------------

readings = st.builds(
    Readings, now=st.just(0.0), weight_kg=st.one_of(st.none(), st.integers(-100, 70000)),
    motion=st.one_of(st.none(), st.booleans()), front_blocked=st.booleans(), rear_blocked=st.booleans(),
    deck_occupied=st.booleans(), entry_loop=st.booleans(),
)
events = st.one_of(
    readings,
    st.builds(Admitted, now=st.just(0.0), visit=st.sampled_from(["a", "b"]), plate=st.just("p"),
              kind=st.sampled_from(["in", "out"])),
    st.builds(InspectionDone, now=st.just(0.0), verdict=st.sampled_from([None, "pass", "reject", "review"])),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 5.0), events), max_size=60))
def test_invariants_hold_for_any_event_sequence(seq):
    state, now, recorded_in = LaneState(), 0.0, set()
    for dt, ev in seq:
        now += dt
        ev = type(ev)(**{**ev.__dict__, "now": now})
        before = state
        state, cmds = step(state, ev, CFG)
        for c in cmds:
            if isinstance(c, RecordWeight):
                # only a positioned, steady, in-range weight is recorded
                assert isinstance(ev, Readings) and ev.weight_kg == c.weight_kg
                assert CFG.min_load_kg <= c.weight_kg <= CFG.max_kg and not ev.motion
                assert not ev.front_blocked and not ev.rear_blocked and ev.deck_occupied
                recorded_in.add(c.visit)
            if isinstance(c, Barrier) and c.name == "plant" and c.open:
                # the plant barrier opens only on a pass (or unsampled) verdict after a weigh-in
                assert isinstance(ev, InspectionDone) and ev.verdict in (None, "pass")
                assert before.phase is Phase.INSPECTING and before.visit in recorded_in
            if isinstance(c, Barrier) and c.name == "entry" and not c.open:
                assert isinstance(ev, Readings) and not ev.entry_loop


def test_weight_drift_or_a_broken_grating_after_weigh_in_holds_a_passed_load():
    for reading in (dict(kg=30300), dict(kg=30000, rear=True)):
        state, _ = settle(on_deck(), 30000, seconds=3.0)
        assert state.phase is Phase.INSPECTING
        state, cmds = step(state, r(7.0, reading["kg"], rear=reading.get("rear", False)), CFG)
        assert cmds == [] and state.holds
        state, cmds = step(state, InspectionDone(9.0, "pass"), CFG)
        assert cmds == [RecordHold("v1", state.holds), Barrier("return", True)]
        assert state.verdict == "review" and state.route == "return"


def test_holds_do_not_soften_a_reject_and_small_vibration_is_not_drift():
    state, _ = settle(on_deck(), 30000, seconds=3.0)
    state, _ = step(state, r(7.0, 30060), CFG)
    assert state.holds == ()
    state, _ = step(state, r(7.5, 29000), CFG)   # the weight dropped while the truck waited
    assert state.holds == ("weight_drift",)
    state, cmds = step(state, InspectionDone(9.0, "reject", ("muddy",), "muddy"), CFG)
    # The REJECT stands; what the lane saw during the probe is recorded beside its reasons.
    assert state.verdict == "reject" and state.route == "return"
    assert state.reasons == ("muddy", "weight_drift")
    assert cmds == [RecordHold("v1", ("muddy", "weight_drift"), "reject", "muddy"), Barrier("return", True)]


def test_every_interlock_refuses_on_its_own():
    from intake.lane.interlocks import InterlockView, failing

    names = ("weight_recorded", "truck_steady", "barriers_closed", "driver_out", "boom_clear")
    assert failing(InterlockView(*(True,) * 5)) == []
    for i, name in enumerate(names):
        view = InterlockView(*(j != i for j in range(5)))
        assert failing(view) == [name]


def test_a_held_load_that_the_inspection_also_reviews_records_both_causes():
    from intake.lane.machine import DeviceFault

    state, _ = settle(on_deck(), 30000, seconds=3.0)
    state, _ = step(state, DeviceFault(7.0, "indicator_reset"), CFG)
    state, cmds = step(state, InspectionDone(9.0, "review", ("interlock:truck_steady",)), CFG)
    assert cmds == [RecordHold("v1", ("indicator_reset",)), Barrier("return", True)]
    assert state.reasons == ("interlock:truck_steady", "indicator_reset")
