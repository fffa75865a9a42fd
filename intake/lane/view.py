"""What the kiosk and /health are shown of a lane's machine state: the one place the machine's
phases are mapped to the driver's steps (LaneStep)."""
from __future__ import annotations

from intake.lane.attendant import call_raised
from intake.lane.events import Phase
from intake.lane.service import REFUSAL_SHOWN_S
from intake.lane.state import LaneState, out_of_service
from intake.lane.status import LaneStatus, LaneStep, ProbeStage, Receipt, Route


def lane_step(state: LaneState) -> LaneStep:
    if out_of_service(state) or state.faults or (state.latched and state.phase is Phase.IDLE):
        # A latched fault whose condition has gone lets the pass in progress finish (the
        # kiosk tells that truck its way), then the lane waits for a technician's reset.
        return LaneStep.OUT_OF_SERVICE
    if state.phase is Phase.ENTERING:
        return LaneStep.ARRIVING
    if state.phase is Phase.WEIGHING:
        if not state.positioned:
            return LaneStep.POSITIONING
        return LaneStep.WEIGHING_IN if state.kind == "in" else LaneStep.WEIGHING_OUT
    if state.phase is Phase.INSPECTING:
        # The probe cycle (the driver out of the cab) once the truck is drawn for sampling;
        # before the draw, for a truck not drawn, and after the cycle: the inspection.
        return LaneStep.SAMPLING if probe_stage(state) in ("press", "confirmed", "running") \
            else LaneStep.INSPECTING
    if state.phase is Phase.HELD:
        return LaneStep.HELD
    if state.phase is Phase.ROUTING:
        return LaneStep.DECIDED if state.kind == "in" else LaneStep.LEAVING
    return LaneStep.IDLE


def probe_stage(state: LaneState) -> ProbeStage | None:
    if state.phase is not Phase.INSPECTING or (state.points is None and not state.sampled):
        return None
    if state.probe:
        return "running"
    if state.sampled:
        return "done"
    return "confirmed" if state.driver_out else "press"


def route_shown(state: LaneState) -> Route | None:
    """The exit arm ordered for the truck on the deck: what the kiosk tells it to drive to."""
    if state.phase is Phase.ROUTING and state.route in ("plant", "return"):
        return "plant" if state.route == "plant" else "return"
    return None


def fault_shown(state: LaneState) -> str | None:
    return out_of_service(state) or ", ".join(state.faults or state.latched) or None


def lane_status(lane: str, state: LaneState, now: float, *, weight_kg: int | None,
                motion: bool | None, material: str | None, material_name: tuple[str, str] | None = None,
                receipt: Receipt | None = None) -> LaneStatus:
    """The kiosk's snapshot. A refusal stays on it for REFUSAL_SHOWN_S, then the lane
    invites the next truck. `receipt` is shown while the truck weighed out leaves."""
    refused = state.refused
    showing = refused if refused is not None and state.visit is None and now - refused.now <= REFUSAL_SHOWN_S \
        else None
    return LaneStatus(
        lane=lane, step=lane_step(state), visit=state.visit,
        plate=state.plate or (showing.plate if showing else None), material=material,
        material_name=material_name if material else None,
        weight_kg=weight_kg, weight_stable=None if motion is None else not motion, verdict=state.verdict,
        reasons=list(state.reasons) if state.visit else ([showing.reason] if showing else []),
        route=route_shown(state), probe=probe_stage(state),
        points_done=state.points[0] if state.points else None,
        points_total=state.points[1] if state.points else None,
        receipt=receipt if state.phase is Phase.ROUTING and state.kind == "out" else None,
        fault=fault_shown(state), awaiting_reset=bool(state.latched) and not state.faults,
        hold_left_s=max(0, int(state.held_until - now)) if state.held_until is not None else None,
        attendant=state.attendant, called=call_raised(state, now), called_at=state.called)
