"""The lane's service conditions as machine transitions: the I/O link, barrier orders not
taken, store outages, watchdog loops down and up, refused plates.

Each is a fact the driver reports; what it means for the truck on the deck is decided here,
with the same void and hold rules as any other fault (intake.lane.passes), so the machine's
property tests cover the fail-safe paths too.
"""
from __future__ import annotations

from dataclasses import replace

from intake.lane.events import (
    ArmsClosed, Barrier, BarrierNotTaken, CloseWhenClear, Command, DeviceFault, InspectionDone, IOLink,
    LoopDown, LoopUp, Phase, RecordVoid, Refused, ShowRefusal, StoreBack, StoreFailed,
)
from intake.lane.passes import on_fault, on_inspected, void
from intake.lane.state import LaneState, needed_open, next_pass

REFUSAL_SHOWN_S = 30.0   # simulated seconds a refusal stays on the kiosk

ServiceEvent = IOLink | BarrierNotTaken | StoreFailed | StoreBack | LoopDown | LoopUp | ArmsClosed | Refused


def on_service(state: LaneState, ev: ServiceEvent) -> tuple[LaneState, list[Command]]:
    if isinstance(ev, IOLink):
        return _on_io_link(state, ev)
    if isinstance(ev, BarrierNotTaken):
        return _on_not_taken(state, ev)
    if isinstance(ev, StoreFailed):
        return (state if state.store_fault == ev.fault else replace(state, store_fault=ev.fault)), []
    if isinstance(ev, StoreBack):
        return _on_store_back(state, ev)
    if isinstance(ev, LoopDown):
        return _on_loop_down(state, ev)
    if isinstance(ev, LoopUp):
        return replace(state, down=tuple(d for d in state.down if d[0] != ev.part)), []
    if isinstance(ev, ArmsClosed):
        return replace(state, open=state.open - set(ev.names)), []
    return _on_refused(state, ev)


def _on_io_link(state: LaneState, ev: IOLink) -> tuple[LaneState, list[Command]]:
    """Lost under a truck: gratings and loops unseen, its position can no longer be vouched
    for. Back: the orders it did not take are sent again, in order."""
    if ev.error is not None:
        lost = state.io_error is None and state.phase is not Phase.IDLE
        state = replace(state, io_error=ev.error)
        return on_fault(state, DeviceFault(ev.now, "gate_io_lost")) if lost else (state, [])
    if state.io_error is None and not state.pending:
        return state, []
    # Only what the pass still wants: an opening for a pass that has moved on is dropped (the
    # arm stays in `open`, so it is closed like any other once its loop is clear).
    resend = [b for b in state.pending if b.name in needed_open(state)]
    return replace(state, io_error=None, pending=()), list(resend)


def _on_not_taken(state: LaneState, ev: BarrierNotTaken) -> tuple[LaneState, list[Command]]:
    """An opening not taken is sent again once the module answers. A closing not taken is not
    replayed later blindly (a vehicle may be under the arm by then): the arm counts as open
    again, and the loop-clear rule closes it at a later reading."""
    if ev.open:
        return replace(state, io_error=ev.error, pending=state.pending + (Barrier(ev.name, True),)), []
    return replace(state, io_error=ev.error, open=state.open | {ev.name}), []


def owed_visit(state: LaneState, opened: str | None = None) -> str | None:
    """The visit a store failure leaves owed a decision: the one in flight, unless its route
    barrier is open and taken already (its records are all in); or one just `opened` for a
    truck still outside."""
    routed = (state.phase is Phase.ROUTING and state.route is not None and state.route in state.open
              and not any(p.name == state.route for p in state.pending))
    return state.visit if state.phase is not Phase.IDLE and not routed else opened


def _on_store_back(state: LaneState, ev: StoreBack) -> tuple[LaneState, list[Command]]:
    """The owed visit's REVIEW is written: if its truck is still here it leaves by the return lane."""
    state = replace(state, store_fault=None)
    if ev.owed is not None and state.visit == ev.owed:
        return void(state, ev.now, ev.reason, recorded=True)
    return state, []


def _on_loop_down(state: LaneState, ev: LoopDown) -> tuple[LaneState, list[Command]]:
    """No truck is admitted and no entry or plant barrier opens while a loop is down, and
    whatever it was doing for the truck on the deck can no longer be vouched for."""
    why = f"watchdog:{ev.part}:{ev.reason}"
    state = replace(state, down=tuple(d for d in state.down if d[0] != ev.part) + ((ev.part, why),))
    commands: list[Command] = []
    if ev.part == "inspection" and ev.job is not None and state.visit == ev.job:
        # The worker died with this truck's inspection: held, and the lane gets the outcome.
        state, held = on_fault(state, DeviceFault(ev.now, "inspection_restarted"))
        state, routed = on_inspected(state, InspectionDone(ev.now, None, ()))
        commands += held + routed
    if ev.final and ev.part == "lane" and state.visit is not None and state.phase in (
            Phase.ENTERING, Phase.WEIGHING, Phase.INSPECTING):
        # Nobody will finish this visit now: recorded for REVIEW from outside the dead loop.
        commands.append(RecordVoid(state.visit, f"watchdog:{ev.part}_down"))
        state = replace(next_pass(state), since=ev.now)
    return state, [*commands, CloseWhenClear()]


def _on_refused(state: LaneState, ev: Refused) -> tuple[LaneState, list[Command]]:
    """A truck announced again while its refusal is on the kiosk is the same refusal: shown
    on, told once."""
    last = state.refused
    again = (last is not None and (last.plate, last.reason) == (ev.plate, ev.reason)
             and ev.now - last.now <= REFUSAL_SHOWN_S)
    return replace(state, refused=ev), ([] if again else [ShowRefusal(ev.plate, ev.reason)])
