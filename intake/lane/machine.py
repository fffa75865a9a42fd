"""The lane state machine: pure transitions from (state, event) to (state, commands).

No I/O and no clock here: every event carries the (simulated) time it happened. The asyncio
driver feeds device readings in and executes the commands in order. Record commands always
come before the actuator commands they justify, so the driver commits before it acts.

Barriers: the machine remembers which arms it ordered open (`LaneState.open`) and orders one
closed only when the phase no longer needs it open and the loop under it has read clear for
`loop_clear_s` without a break: a gap between axles or between tractor and trailer reads
clear for an instant, a truck that has left reads clear for good.

Lane faults latch: once reported, a fault keeps the lane closed to new trucks after its
condition has gone, until a technician's reset (`LaneReset`) finds no fault active. An arm
that stuck once and moved again may stick under the next truck; somebody must look first.

The probe: while its cycle runs (`ProbeCycle`), the lane's own interlock check (`Interlocks`)
stops it on any break (`StopProbe`) and holds the load (a REJECT stays a REJECT, with the
break recorded beside its reasons); a break reported once the inspection has ended is recorded
beside the decision.

Service conditions are events too (intake.lane.service): the I/O module lost, a barrier order
not taken, the store refusing records, a watchdog loop down. While any holds no truck is
admitted, and while a loop is down no entry or plant barrier opens.

The parts: events and commands (intake.lane.events), the state (intake.lane.state), the pass
transitions (intake.lane.passes), the service transitions (intake.lane.service), and what the
kiosk shows of a state (intake.lane.view). This module is the one entry point, `step`.
"""
from __future__ import annotations

from dataclasses import replace

from intake.config import AttendantConfig, SafetyConfig, WeighingConfig
from intake.lane.attendant import on_attendant, on_called
from intake.lane.events import (
    ATTENDANT_ACTIONS, BARRIERS, AttendantAction, AttendantCalled, AttendantDecision, RecordAttendant, EXIT_BARRIERS, Admitted, ArmsClosed, Barrier, BarrierName, BarrierNotTaken, CloseWhenClear,
    Command, DeviceFault, Event, Inspect, InspectionDone, Interlocks, IOLink, LaneFaults, LaneReset, LoadAccepted, LoopDown,
    LoopUp, PassKind, Phase, ProbeCycle, ProbeProgress, Readings, RecordHold, RecordLatch, RecordReset, RecordVoid,
    RecordWeight, Refuse, Refused, ShowRefusal, StopProbe, StoreBack, StoreFailed, VisitOver,
)
from intake.lane.passes import (
    not_admissible, on_admitted, on_fault, on_inspected, on_interlocks, on_lane_faults, on_probe_cycle, on_probe_progress,
    on_readings, on_reset,
)
from intake.lane.service import ServiceEvent, on_service, owed_visit
from intake.lane.state import LaneState, Steady, needed_open

__all__ = [
    "ATTENDANT_ACTIONS", "AttendantAction", "AttendantCalled", "AttendantDecision", "RecordAttendant",
    "BARRIERS", "EXIT_BARRIERS", "Admitted", "ArmsClosed", "Barrier", "BarrierName", "BarrierNotTaken",
    "CloseWhenClear", "Command", "DeviceFault", "Event", "IOLink", "Inspect", "InspectionDone", "Interlocks",
    "LaneFaults", "LaneReset", "LaneState", "LoadAccepted", "LoopDown", "LoopUp", "PassKind", "Phase", "ProbeCycle", "ProbeProgress",
    "Readings",
    "RecordHold", "RecordLatch", "RecordReset", "RecordVoid", "RecordWeight", "Refuse", "Refused",
    "ShowRefusal", "Steady", "StopProbe", "StoreBack", "StoreFailed", "VisitOver", "loop_clear",
    "not_admissible", "owed_visit", "step",
]

_SAFETY = SafetyConfig()
_NO_ATTENDANT = AttendantConfig()
_SERVICE = (IOLink, BarrierNotTaken, StoreFailed, StoreBack, LoopDown, LoopUp, ArmsClosed, Refused)


def step(state: LaneState, event: Event, cfg: WeighingConfig, safety: SafetyConfig = _SAFETY,
         attendant: AttendantConfig = _NO_ATTENDANT) -> tuple[LaneState, list[Command]]:
    """The one transition function."""
    if isinstance(event, Readings):
        new, commands = on_readings(state, event, cfg)
        commands = commands + _close_unneeded(new, event.now, safety.loop_clear_s)
    elif isinstance(event, _SERVICE):
        new, commands = on_service(state, _service(event))
    else:
        new, commands = _on_pass_event(state, event, attendant.hold_s)
    commands = _kept_closed(new, commands)
    return _track_open(new, commands), commands


def _service(event: Event) -> ServiceEvent:
    assert isinstance(event, _SERVICE)
    return event


def _on_pass_event(state: LaneState, event: Event, hold_s: float) -> tuple[LaneState, list[Command]]:
    if isinstance(event, Admitted):
        return on_admitted(state, event)
    if isinstance(event, InspectionDone):
        return on_inspected(state, event, hold_s)
    if isinstance(event, AttendantDecision):
        return on_attendant(state, event)
    if isinstance(event, AttendantCalled):
        return on_called(state, event)
    if isinstance(event, DeviceFault):
        return on_fault(state, event)
    if isinstance(event, LaneFaults):
        return on_lane_faults(state, event)
    if isinstance(event, LaneReset):
        return on_reset(state, event)
    if isinstance(event, ProbeCycle):
        return on_probe_cycle(state, event), []
    if isinstance(event, ProbeProgress):
        return on_probe_progress(state, event), []
    assert isinstance(event, Interlocks)
    return on_interlocks(state, event)


def _kept_closed(state: LaneState, commands: list[Command]) -> list[Command]:
    """While a watched loop is down or the store takes no records, nobody enters and nothing
    goes to the plant; sending a truck back with its load (the return route) stays possible."""
    if not state.down and not state.store_fault:
        return commands
    why = state.store_fault or "; ".join(w for _, w in state.down)
    return [Refuse(f"{c.name} barrier kept closed, {why}")
            if isinstance(c, Barrier) and c.open and c.name != "return" else c for c in commands]


def _track_open(state: LaneState, commands: list[Command]) -> LaneState:
    opened = set(state.open)
    for c in commands:
        if isinstance(c, Barrier):
            (opened.add if c.open else opened.discard)(c.name)
    return state if opened == state.open else replace(state, open=frozenset(opened))


def loop_clear(state: LaneState, name: BarrierName, now: float, loop_clear_s: float) -> bool:
    """The loop under `name` has read clear, without a break, for `loop_clear_s`."""
    since = state.entry_clear_since if name == "entry" else state.exit_clear_since
    return since is not None and now - since >= loop_clear_s


def _close_unneeded(state: LaneState, now: float, loop_clear_s: float) -> list[Command]:
    return [Barrier(name, False) for name in BARRIERS
            if name in state.open - needed_open(state) and loop_clear(state, name, now, loop_clear_s)]
