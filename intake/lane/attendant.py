"""The remote attendant's part of a pass, as machine transitions. Pure: (state, event) in,
(state, commands) out.

A loaded truck judged REVIEW waits on the deck (Phase.HELD) for the lane's hold window
(`[lanes.attendant] hold_s`); the attendant releases it to the plant, sends it back, or sends
it to the parking bay, each with a reason; with no answer in time it leaves by the return lane
as it always did. A hold window of 0 (no attendant) keeps that old behaviour.

Fail safe: only a release opens the plant barrier, and only for the truck held now, named by a
logged-in attendant with a reason, on a lane with no fault active or latched and nothing out of
service. Anything that happens to the held truck (a device fault, the weight moving, a grating
broken) sends it back at once, recorded beside its decision.
"""
from __future__ import annotations

from dataclasses import replace

from intake.lane.events import (
    AttendantCalled, AttendantDecision, Barrier, Command, LoadAccepted, Phase, RecordAttendant, RecordHold,
)
from intake.lane.state import LaneState, out_of_service
from intake.lane.status import Verdict

CALL_SHOWN_S = 300.0   # simulated seconds a driver's call stays raised on the console
TIMEOUT_REASON = "attendant_timeout"


def hold_for_attendant(state: LaneState, now: float, hold_s: float) -> LaneState | None:
    """The waiting state for a load judged REVIEW, or None: it goes back now (no attendant is
    configured, or the lane could not let a release through anyway). A load the lane itself held
    (a grating or the deck zone broken under the probe, the weight moving after the weigh-in, the
    indicator restarting) is never offered: its weight or its sample cannot be trusted, and no
    look at a camera makes them so."""
    if hold_s <= 0 or state.kind != "in" or state.faults or state.latched or out_of_service(state) or state.holds:
        return None
    return replace(state, phase=Phase.HELD, since=now, held_until=now + hold_s, probe=False)


def on_attendant(state: LaneState, ev: AttendantDecision) -> tuple[LaneState, list[Command]]:
    refused = refusal(state, ev)
    if refused is not None:
        return state, [RecordAttendant(ev.visit, ev.action, ev.by, ev.reason, ev.request, refused)]
    release = ev.action == "release"
    verdict: Verdict = "pass" if release else "review"
    new = replace(state, phase=Phase.ROUTING, since=ev.now, verdict=verdict, reasons=(f"attendant_{ev.action}",),
                  route="plant" if release else "return", held_until=None, attendant=ev.action, called=None)
    recorded = RecordAttendant(ev.visit, ev.action, ev.by.strip(), ev.reason.strip(), ev.request)
    if release:   # into the plant as any accepted load: a stored tare is recorded before the arm
        return new, [recorded, LoadAccepted(ev.visit), Barrier("plant", True)]
    return new, [recorded, Barrier("return", True)]


def refusal(state: LaneState, ev: AttendantDecision) -> str | None:
    """Why this answer is not carried out, or None."""
    if state.phase is not Phase.HELD or state.visit != ev.visit:
        return "not_held"
    if not ev.by.strip():
        return "attendant_required"
    if not ev.reason.strip():
        return "reason_required"
    if ev.action == "release" and (state.faults or state.latched or out_of_service(state)):
        return "lane_fault"
    return None


def on_called(state: LaneState, ev: AttendantCalled) -> tuple[LaneState, list[Command]]:
    return replace(state, called=ev.now), []


def call_raised(state: LaneState, now: float) -> bool:
    return state.called is not None and now - state.called <= CALL_SHOWN_S


def watch_held(state: LaneState, before: tuple[str, ...], now: float) -> tuple[LaneState, list[Command]]:
    """A reading while the truck waits: a new hold (the weight moved, a grating broke) sends it
    back at once; so does the end of the window."""
    found = tuple(h for h in state.holds if h not in before)
    if found:
        return send_back(state, now, found)
    if state.held_until is not None and now >= state.held_until:
        state = replace(state, reasons=state.reasons + (TIMEOUT_REASON,))
        return send_back(state, now, ())
    return state, []


def send_back(state: LaneState, now: float, found: tuple[str, ...]) -> tuple[LaneState, list[Command]]:
    """The return lane, the REVIEW as recorded; what was `found` meanwhile is recorded beside it."""
    assert state.visit is not None
    commands: list[Command] = [RecordHold(state.visit, found)] if found else []
    reasons = state.reasons + tuple(f for f in found if f not in state.reasons)
    new = replace(state, phase=Phase.ROUTING, since=now, route="return", held_until=None, reasons=reasons,
                  holds=state.holds + tuple(f for f in found if f not in state.holds))
    return new, [*commands, Barrier("return", True)]
