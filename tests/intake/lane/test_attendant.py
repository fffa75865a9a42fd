"""The remote attendant in the lane machine: the hold window for a REVIEW load, release, send
back and park, the refusals, the driver's call, and the fail-safe property under random runs."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.config import AttendantConfig
from intake.lane.attendant import CALL_SHOWN_S, TIMEOUT_REASON
from intake.lane.machine import (
    AttendantCalled, AttendantDecision, Barrier, DeviceFault, Event, InspectionDone, IOLink, LaneFaults, LaneState,
    LoadAccepted, Phase, Readings, RecordAttendant, RecordHold, StoreFailed, step,
)
from intake.lane.status import LaneStep
from intake.lane.view import lane_status
from tests.intake.lane.test_machine import CFG, on_deck, r, settle

HOLD = AttendantConfig(hold_s=120.0)
LOAD_KG = 30000


def inspected(verdict: str | None = "review", attendant: AttendantConfig = HOLD,
              reasons: tuple[str, ...] = ("low_confidence",)) -> tuple[LaneState, list]:
    state, _ = settle(on_deck(), LOAD_KG)
    assert state.phase is Phase.INSPECTING
    return step(state, InspectionDone(10.0, verdict, reasons), CFG, attendant=attendant)  # type: ignore[arg-type]


def held() -> LaneState:
    state, cmds = inspected()
    assert state.phase is Phase.HELD and cmds == [] and state.held_until == 130.0
    return state


def decide(state: LaneState, action: str, *, by: str = "wang", reason: str = "looked at the photos",
           visit: str = "v1", now: float = 20.0) -> tuple[LaneState, list]:
    return step(state, AttendantDecision(now, visit, action, by, reason, 7), CFG, attendant=HOLD)  # type: ignore[arg-type]


def test_without_an_attendant_a_review_goes_back_at_once_as_before():
    state, cmds = inspected(attendant=AttendantConfig())
    assert state.phase is Phase.ROUTING and cmds == [Barrier("return", True)]


def test_a_load_the_lane_held_under_the_probe_is_not_offered_to_the_attendant():
    # The weight moved after the weigh-in while the probe ran (hypothesis found the same with a
    # broken deck zone and a not-sampled verdict): the load goes back at once, never waits for a
    # release, whatever the sample said.
    for verdict in ("review", "pass", None):
        state, _ = settle(on_deck(), LOAD_KG)
        state, _ = step(state, r(9.0, LOAD_KG + 300), CFG, attendant=HOLD)
        assert state.holds, "the drift was not held"
        state, cmds = step(state, InspectionDone(10.0, verdict, ("low_confidence",)), CFG, attendant=HOLD)  # type: ignore[arg-type]
        assert state.phase is Phase.ROUTING and state.route == "return" and cmds[-1] == Barrier("return", True), verdict


def test_only_review_waits_for_the_attendant():
    for verdict, route in (("pass", "plant"), (None, "plant"), ("reject", "return")):
        state, cmds = inspected(verdict)
        accepted = [LoadAccepted("v1")] if route == "plant" else []
        assert state.phase is Phase.ROUTING and cmds == [*accepted, Barrier(route, True)], verdict  # type: ignore[arg-type]


def test_a_held_truck_waits_with_no_arm_open_and_the_kiosk_says_so():
    state = held()
    state, cmds = step(state, r(60.0, LOAD_KG), CFG, attendant=HOLD)
    assert cmds == [] and state.phase is Phase.HELD
    status = lane_status("1", state, 60.0, weight_kg=LOAD_KG, motion=False, material="sand")
    assert status.step is LaneStep.HELD and status.route is None and status.hold_left_s == 70


def test_release_records_the_new_decision_before_the_plant_arm_opens():
    state, cmds = decide(held(), "release")
    # Into the plant as any accepted load: LoadAccepted (a stored tare recorded) before the arm.
    assert cmds == [RecordAttendant("v1", "release", "wang", "looked at the photos", 7), LoadAccepted("v1"),
                    Barrier("plant", True)]
    assert state.phase is Phase.ROUTING and state.route == "plant" and state.verdict == "pass"
    assert lane_status("1", state, 20.0, weight_kg=LOAD_KG, motion=False, material="sand").attendant == "release"


def test_send_back_and_park_leave_by_the_return_lane_still_under_review():
    for action in ("send_back", "park"):
        state, cmds = decide(held(), action)
        assert cmds == [RecordAttendant("v1", action, "wang", "looked at the photos", 7),  # type: ignore[arg-type]
                        Barrier("return", True)]
        assert state.route == "return" and state.verdict == "review" and state.reasons == (f"attendant_{action}",)


def test_a_release_without_reason_or_attendant_or_for_another_truck_is_refused():
    state = held()
    for kwargs, why in ((dict(reason="  "), "reason_required"), (dict(by=""), "attendant_required"),
                        (dict(visit="v0"), "not_held")):
        after, cmds = decide(state, "release", **kwargs)  # type: ignore[arg-type]
        assert after == state and len(cmds) == 1 and cmds[0].refused == why


def test_a_release_on_a_lane_out_of_service_is_refused_and_nothing_moves():
    state, _ = step(held(), StoreFailed(15.0, "store:full"), CFG, attendant=HOLD)
    after, cmds = decide(state, "release")
    assert after.phase is Phase.HELD and [c.refused for c in cmds] == ["lane_fault"]  # type: ignore[union-attr]


def test_an_answer_after_the_window_finds_the_truck_gone():
    state, cmds = step(held(), r(130.0, LOAD_KG), CFG, attendant=HOLD)
    assert cmds == [Barrier("return", True)] and state.phase is Phase.ROUTING
    assert state.reasons[-1] == TIMEOUT_REASON
    _, cmds = decide(state, "release", now=131.0)
    assert [c.refused for c in cmds] == ["not_held"]  # type: ignore[union-attr]


def test_a_fault_or_a_moving_weight_sends_the_held_truck_back_at_once():
    for event in (DeviceFault(30.0, "indicator_reset"), LaneFaults(30.0, ("arm_stuck:entry",)),
                  IOLink(30.0, "gate_io:timeout"), r(30.0, LOAD_KG + 500), r(30.0, LOAD_KG, front=True)):
        state, cmds = step(held(), event, CFG, attendant=HOLD)
        assert state.phase is Phase.ROUTING and state.route == "return", event
        holds = [i for i, c in enumerate(cmds) if isinstance(c, RecordHold)]
        assert holds and cmds.index(Barrier("return", True)) > holds[0], event   # recorded, then moved


def test_a_lane_with_a_fault_does_not_hold_a_review_load():
    state, _ = settle(on_deck(), LOAD_KG)
    state, _ = step(state, LaneFaults(8.0, ("arm_stuck:entry",)), CFG, attendant=HOLD)
    state, cmds = step(state, InspectionDone(10.0, "review", ("x",)), CFG, attendant=HOLD)
    assert state.phase is Phase.ROUTING and Barrier("return", True) in cmds


def test_the_drivers_call_is_raised_for_a_while_and_cleared_by_the_answer():
    state, cmds = step(held(), AttendantCalled(12.0), CFG, attendant=HOLD)
    assert cmds == []
    assert lane_status("1", state, 12.0 + CALL_SHOWN_S, weight_kg=None, motion=None, material=None).called
    assert not lane_status("1", state, 13.0 + CALL_SHOWN_S, weight_kg=None, motion=None, material=None).called
    state, _ = decide(state, "park", now=14.0)
    assert not lane_status("1", state, 14.0, weight_kg=None, motion=None, material=None).called


# ---- the fail-safe property ---------------------------------------------------------------

_events = st.one_of(
    # Mostly well-formed releases for this truck, so the faults before them are what is tried.
    st.builds(AttendantDecision, st.floats(10, 200), st.sampled_from(["v1", "v1", "v2"]),
              st.sampled_from(["release", "release", "send_back", "park"]), st.sampled_from(["wang", "wang", " "]),
              st.sampled_from(["ok", "ok", "", "  "]), st.none()),
    st.builds(lambda t, kg, front: Readings(t, kg, False, front, False, True), st.floats(10, 200),
              st.sampled_from([None, LOAD_KG, LOAD_KG + 400]), st.booleans()),
    st.builds(DeviceFault, st.floats(10, 200), st.just("indicator_reset")),
    st.builds(LaneFaults, st.floats(10, 200), st.sampled_from([(), ("arm_stuck:plant",)])),
    st.builds(StoreFailed, st.floats(10, 200), st.just("store:full")),
    st.builds(AttendantCalled, st.floats(10, 200)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_events, max_size=12))
def test_the_plant_arm_opens_for_a_review_load_only_on_a_valid_release(seq: list[Event]):
    state = held()
    for event in sorted(seq, key=lambda e: e.now):
        before = state
        state, cmds = step(state, event, CFG, attendant=HOLD)
        if Barrier("plant", True) in cmds:
            assert isinstance(event, AttendantDecision) and event.action == "release"
            assert event.by.strip() and event.reason.strip() and event.visit == "v1"
            assert before.phase is Phase.HELD and not before.faults and not before.latched
            assert before.store_fault is None and before.io_error is None
            # The record comes first: the barrier waits for the decision to be durable.
            assert isinstance(cmds[0], RecordAttendant) and cmds[0].refused is None
        assert state.verdict != "pass" or state.attendant == "release"
