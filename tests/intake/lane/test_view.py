"""What the kiosk is shown of the pure machine's state (intake.lane.view): the probe cycle's
stages from the draw to "get back in the cab", and the exit arm the decision ordered, so the
kiosk's words can only follow the arm that opened."""
from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.config import WeighingConfig
from intake.lane.machine import (
    Admitted, Barrier, InspectionDone, LaneState, Phase, ProbeCycle, ProbeProgress, Readings, step,
)
from intake.lane.status import LaneStep, Receipt
from intake.lane.view import lane_status

CFG = WeighingConfig(stable_band_kg=20, stable_time_s=2.0, min_load_kg=1000, max_kg=60000,
                     zero_band_kg=40, settle_timeout_s=60.0)
ON = Readings(0.0, 30000, False, False, False, True)


def inspecting() -> LaneState:
    state, _ = step(LaneState(), Readings(0.0, 0, False, False, False, False), CFG)
    state, _ = step(state, Admitted(1.0, "v1", "苏A·1", "in"), CFG)
    t = 2.0
    while state.phase is not Phase.INSPECTING:
        state, _ = step(state, replace(ON, now=t), CFG)
        t += 0.25
    return state


def shown(state: LaneState, now: float = 10.0, receipt: Receipt | None = None):
    return lane_status("1", state, now, weight_kg=30000, motion=False, material="sand",
                       material_name=("砂", "Sand"), receipt=receipt)


def test_the_probe_cycle_from_the_draw_to_back_in_the_cab() -> None:
    state = inspecting()
    assert (shown(state).step, shown(state).probe) == (LaneStep.INSPECTING, None)   # not drawn yet
    state, _ = step(state, ProbeProgress(3.0, 0, 6), CFG)
    assert (shown(state).step, shown(state).probe) == (LaneStep.SAMPLING, "press")
    state, _ = step(state, replace(ON, now=4.0, driver_confirm=False), CFG)
    state, _ = step(state, replace(ON, now=4.2, driver_confirm=True), CFG)   # the press
    assert shown(state).probe == "confirmed"
    state, _ = step(state, ProbeCycle(5.0, True), CFG)
    state, _ = step(state, ProbeProgress(6.0, 4, 6), CFG)
    status = shown(state)
    assert (status.step, status.probe, status.points_done, status.points_total) == (LaneStep.SAMPLING, "running", 4, 6)
    state, _ = step(state, ProbeCycle(9.0, False), CFG)
    assert (shown(state).step, shown(state).probe) == (LaneStep.INSPECTING, "done")


def test_progress_outside_an_inspection_changes_nothing() -> None:
    idle, _ = step(LaneState(), Readings(0.0, 0, False, False, False, False), CFG)
    assert step(idle, ProbeProgress(1.0, 2, 6), CFG)[0] == idle


@given(verdict=st.sampled_from([None, "pass", "reject", "review"]), sampled=st.booleans())
def test_a_decision_shows_the_arm_it_ordered_open(verdict: str | None, sampled: bool) -> None:
    state = inspecting()
    if sampled:
        state, _ = step(state, ProbeProgress(3.0, 0, 6), CFG)
    state, commands = step(state, InspectionDone(12.0, verdict, ()), CFG)   # type: ignore[arg-type]
    opened = [c.name for c in commands if isinstance(c, Barrier) and c.open]
    status = shown(state, 12.0)
    assert status.step is LaneStep.DECIDED
    assert opened == [status.route]
    assert status.route == ("plant" if verdict in (None, "pass") else "return")
    assert status.probe is None and status.receipt is None


def test_the_receipt_shows_only_on_the_weigh_out() -> None:
    receipt = Receipt(gross_kg=30000, tare_kg=12000, net_kg=18000, received=True, ticket=7)
    assert shown(inspecting(), receipt=receipt).receipt is None
    out = replace(inspecting(), phase=Phase.ROUTING, kind="out", route="return")
    assert shown(out, receipt=receipt).receipt == receipt
    assert shown(out, receipt=receipt).step is LaneStep.LEAVING


@pytest.mark.parametrize("name", [("砂", "Sand"), None])
def test_material_names_go_with_the_material(name: tuple[str, str] | None) -> None:
    status = lane_status("1", LaneState(), 0.0, weight_kg=None, motion=None, material=None, material_name=name)
    assert status.material is None and status.material_name is None
