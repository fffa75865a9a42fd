"""The pass transitions of the lane machine: admission, weighing, inspection, routing, and the
faults that end or hold a pass. Pure: (state, event) in, (state, commands) out.

A pass that cannot complete is void: recorded, and the truck sent back, never to the plant.
A fault after the weigh-in holds the load for review instead (its weight stands).
"""
from __future__ import annotations

from dataclasses import replace

from intake.config import WeighingConfig
from intake.lane.events import (
    Admitted, Barrier, BarrierName, Command, DeviceFault, EXIT_BARRIERS, Inspect, InspectionDone, Interlocks,
    LaneFaults, LaneReset, LoadAccepted, Phase, ProbeCycle, ProbeProgress, Readings, RecordHold, RecordLatch, RecordReset, RecordVoid,
    RecordWeight, Refuse, StopProbe, VisitOver,
)
from intake.lane.attendant import hold_for_attendant, send_back, watch_held
from intake.lane.state import LaneState, Steady, next_pass, out_of_service


def on_lane_faults(state: LaneState, ev: LaneFaults) -> tuple[LaneState, list[Command]]:
    """A new lane-closing fault latches, ends a pass still weighing and holds a load being
    inspected. Its condition going away later clears `faults`, never `latched`."""
    new = [f for f in ev.faults if f not in state.faults]
    latching = tuple(f for f in ev.faults if f not in state.latched)
    state = replace(state, faults=ev.faults, latched=state.latched + latching)
    latch: list[Command] = [RecordLatch(latching)] if latching else []
    if new:
        state, commands = on_fault(state, DeviceFault(ev.now, new[0]))
        return state, latch + commands
    return state, latch


def on_reset(state: LaneState, ev: LaneReset) -> tuple[LaneState, list[Command]]:
    """Refused while any fault is still active: the condition must be gone before anyone may
    put the lane back in service."""
    if state.faults:
        return state, [RecordReset(ev.by, ev.request, (), state.faults)]
    return replace(state, latched=()), [RecordReset(ev.by, ev.request, state.latched, ())]


def on_probe_progress(state: LaneState, ev: ProbeProgress) -> LaneState:
    """Shown only: the cores taken so far change no decision."""
    if state.phase is not Phase.INSPECTING or state.points == (ev.done, ev.total):
        return state
    return replace(state, points=(ev.done, ev.total))


def on_probe_cycle(state: LaneState, ev: ProbeCycle) -> LaneState:
    if ev.running and state.phase is Phase.INSPECTING:
        return replace(state, probe=True, probe_stopped=(), sampled=True)
    return replace(state, probe=False) if state.probe else state


def on_interlocks(state: LaneState, ev: Interlocks) -> tuple[LaneState, list[Command]]:
    """Any break while the probe runs stops it and holds the load. The STOP is sent again only
    when the set of broken interlocks changes (the sampler client's own check repeats it)."""
    if not ev.broken:
        return state, []
    reason = "interlock:" + ",".join(ev.broken)
    commands: list[Command] = []
    if state.probe and ev.broken != state.probe_stopped:
        commands.append(StopProbe(reason))
        state = replace(state, probe_stopped=ev.broken)
    if state.phase is Phase.INSPECTING and state.probe and reason not in state.holds:
        state = replace(state, holds=state.holds + (reason,))
    elif (state.phase is Phase.ROUTING and state.kind == "in" and state.weight_kg is not None
          and reason not in state.holds + state.reasons):
        # The inspection has ended and its decision is recorded: the break is recorded beside
        # it for the reviewer; the route already ordered stands (the truck may be moving).
        visit = state.visit
        assert visit is not None
        state = replace(state, holds=state.holds + (reason,), reasons=state.reasons + (reason,))
        commands.append(RecordHold(visit, (reason,)))
    return state, commands


def on_fault(state: LaneState, ev: DeviceFault) -> tuple[LaneState, list[Command]]:
    """Before the weight is recorded the pass is void; after it, the load is held for review."""
    if state.phase in (Phase.ENTERING, Phase.WEIGHING):
        return void(state, ev.now, ev.reason)
    if state.phase is Phase.INSPECTING and ev.reason not in state.holds:
        return replace(state, holds=state.holds + (ev.reason,)), []
    if state.phase is Phase.HELD:
        # Waiting for the attendant: a lane that cannot vouch for the truck sends it back.
        return send_back(state, ev.now, () if ev.reason in state.holds else (ev.reason,))
    return state, []


def not_admissible(state: LaneState) -> str | None:
    """Why no truck may be admitted now, or None. The driver asks before it opens a visit."""
    if state.phase is not Phase.IDLE:
        return "lane_busy"
    if state.faults or state.latched:
        return "lane_fault"
    if out_of_service(state) is not None:
        return "out_of_service"
    if not state.deck_zero:
        return "deck_not_zero"
    if state.open & EXIT_BARRIERS:
        # The last truck's exit is not closed yet: the next one could drive straight through.
        return "exit_open"
    return None


def on_admitted(state: LaneState, ev: Admitted) -> tuple[LaneState, list[Command]]:
    refused = not_admissible(state)
    if refused is not None:
        return state, [Refuse(refused)]
    new = replace(next_pass(state), phase=Phase.ENTERING, since=ev.now, visit=ev.visit, plate=ev.plate,
                  kind=ev.kind, holds=ev.holds)
    return new, [Barrier("entry", True)]


def on_inspected(state: LaneState, ev: InspectionDone, hold_s: float = 0.0) -> tuple[LaneState, list[Command]]:
    """`hold_s`: the lane's attendant window, for which a load judged REVIEW waits on the deck."""
    if state.phase is not Phase.INSPECTING:
        return state, []
    assert state.visit is not None
    verdict, reasons = ev.verdict, ev.reasons
    commands: list[Command] = []
    if state.holds and verdict in (None, "pass"):
        # The weight changed or a grating was broken while the truck waited: whatever the
        # sample says, this load is not accepted unseen.
        verdict, reasons = "review", state.holds
        commands.append(RecordHold(state.visit, state.holds))
    elif state.holds and verdict == "review" and set(state.holds) - set(reasons):
        # Held already (e.g. the probe stopped because the weight went unknown): the cause
        # the lane saw (indicator reset, a lane fault) is recorded beside it for the reviewer.
        reasons = reasons + tuple(h for h in state.holds if h not in reasons)
        commands.append(RecordHold(state.visit, state.holds))
    elif state.holds and verdict == "reject" and set(state.holds) - set(reasons):
        # A REJECT stands on its own reasons (a hold never softens it), but what the lane saw
        # while the probe ran (a grating broken, the weight drifting) goes on the record too.
        reasons = reasons + tuple(h for h in state.holds if h not in reasons)
        commands.append(RecordHold(state.visit, reasons, "reject", ev.label))
    # Not sampled (verdict None) or PASS go to the plant; everything else goes back.
    route: BarrierName = "plant" if verdict in (None, "pass") else "return"
    decided = replace(state, verdict=verdict, reasons=reasons)
    held = hold_for_attendant(decided, ev.now, hold_s) if verdict == "review" else None
    if held is not None:
        return held, commands
    new = replace(decided, phase=Phase.ROUTING, since=ev.now, route=route, probe=False)
    if route == "plant" and state.kind == "in":
        commands.append(LoadAccepted(state.visit))   # before the arm: a stored tare is recorded first
    return new, [*commands, Barrier(route, True)]


def on_readings(state: LaneState, ev: Readings, cfg: WeighingConfig) -> tuple[LaneState, list[Command]]:
    state, voided = _indicator_restarts(_button(state, ev), ev)
    state, commands = _on_deck(state, ev, cfg)
    return state, voided + commands


def _button(state: LaneState, ev: Readings) -> LaneState:
    """Only a press (a rising edge) counts: a button stuck on, or still held from before, must
    not let the probe move over this truck."""
    pressed = ev.driver_confirm and not state.confirm_held
    out = state.driver_out or (pressed and state.phase in (Phase.WEIGHING, Phase.INSPECTING))
    if out == state.driver_out and ev.driver_confirm == state.confirm_held:
        return state
    return replace(state, confirm_held=ev.driver_confirm, driver_out=out)


def _indicator_restarts(state: LaneState, ev: Readings) -> tuple[LaneState, list[Command]]:
    """A reconnected port or a power-up frame means the indicator restarted under a truck. The
    reader counts both as they happen, so a reboot between two ticks is still seen."""
    if ev.restarts is None or ev.restarts == state.restarts:
        return state, []
    reset = state.restarts is not None
    state = replace(state, restarts=ev.restarts)
    if reset and state.phase not in (Phase.IDLE, Phase.ROUTING):
        return on_fault(state, DeviceFault(ev.now, "indicator_reset"))
    return state, []


def _on_deck(state: LaneState, ev: Readings, cfg: WeighingConfig) -> tuple[LaneState, list[Command]]:
    at_zero = ev.weight_kg is not None and abs(ev.weight_kg) <= cfg.zero_band_kg and not ev.deck_occupied
    positioned = ev.deck_occupied and not ev.front_blocked and not ev.rear_blocked
    unknown_since = None if ev.weight_kg is not None else (state.unknown_since if state.unknown_since is not None else ev.now)
    state = replace(state, deck_zero=at_zero, positioned=positioned, unknown_since=unknown_since,
                    entry_clear_since=_clear_since(state.entry_clear_since, ev.entry_loop, ev.now),
                    exit_clear_since=_clear_since(state.exit_clear_since, ev.exit_loop, ev.now))
    if state.phase is Phase.ENTERING:
        return _entering(state, ev, cfg)
    if state.phase is Phase.WEIGHING:
        return _weighing(state, ev, cfg)
    if state.phase is Phase.ROUTING:
        return _routing(state, ev)
    if state.phase is Phase.INSPECTING:
        return _watch_recorded(state, ev, cfg), []
    if state.phase is Phase.HELD:
        return watch_held(_watch_recorded(state, ev, cfg), state.holds, ev.now)
    return state, []


def _clear_since(since: float | None, occupied: bool, now: float) -> float | None:
    if occupied:
        return None
    return now if since is None else since


def _watch_recorded(state: LaneState, ev: Readings, cfg: WeighingConfig) -> LaneState:
    """After the weigh-in, the recorded weight must stay put and the truck on the deck."""
    found: list[str] = []
    if ev.front_blocked or ev.rear_blocked or not ev.deck_occupied:
        found.append("grating_blocked_after_weighing")
    if (ev.weight_kg is not None and state.weight_kg is not None
            and abs(ev.weight_kg - state.weight_kg) > cfg.drift_band_kg):
        found.append("weight_drift")
    new = tuple(r for r in found if r not in state.holds)
    return replace(state, holds=state.holds + new) if new else state


def _entering(state: LaneState, ev: Readings, cfg: WeighingConfig) -> tuple[LaneState, list[Command]]:
    assert state.visit is not None
    if ev.now - state.since > cfg.settle_timeout_s:
        return void(state, ev.now, "truck_not_on_deck")
    if state.positioned and not ev.entry_loop:
        # Wholly on the deck and past the entry loop: weighing starts; the entry arm comes
        # down once the loop has stayed clear (see _close_unneeded).
        return replace(state, phase=Phase.WEIGHING, since=ev.now, steady=None), []
    return state, []


def _weighing(state: LaneState, ev: Readings, cfg: WeighingConfig) -> tuple[LaneState, list[Command]]:
    assert state.visit is not None and state.kind is not None
    if ev.now - state.since > cfg.settle_timeout_s:
        return void(state, ev.now, "no_stable_weight")
    if state.unknown_since is not None and ev.now - state.unknown_since > cfg.unknown_timeout_s:
        return void(state, ev.now, "weight_unknown")
    steady = _update_steady(state.steady, ev, cfg, state.positioned)
    state = replace(state, steady=steady)
    # Stable means: a frame that arrived stable_time_s after the window began, every reading
    # since in the band; not the same early frame looked at for that long.
    arrived = ev.now if ev.frame_at is None else ev.frame_at
    if steady is None or arrived - steady.start < cfg.stable_time_s:
        return state, []
    weight = ev.weight_kg
    assert weight is not None
    if not cfg.min_load_kg <= weight <= cfg.max_kg:
        return state, []  # keep waiting; the settle timeout voids it if it never comes right
    visit = state.visit
    assert visit is not None
    if state.kind == "in":
        new = replace(state, phase=Phase.INSPECTING, since=ev.now, weight_kg=weight)
        return new, [RecordWeight(visit, "in", weight), Inspect(visit)]
    new = replace(state, phase=Phase.ROUTING, since=ev.now, weight_kg=weight, route="return")
    return new, [RecordWeight(visit, "out", weight), Barrier("return", True)]


def _update_steady(steady: Steady | None, ev: Readings, cfg: WeighingConfig, positioned: bool) -> Steady | None:
    """Restart the window on motion, unknown weight, a blocked grating or a jump beyond the band.
    An indicator with no motion flag (motion None) gets no band: only identical frames for the
    whole window count as stable, since nothing else says the deck has stopped moving."""
    if ev.weight_kg is None or ev.motion or not positioned:
        return None
    band = 0 if ev.motion is None else cfg.stable_band_kg
    if steady is None or abs(ev.weight_kg - steady.anchor) > band:
        return Steady(anchor=ev.weight_kg, start=ev.now)
    return steady


def _routing(state: LaneState, ev: Readings) -> tuple[LaneState, list[Command]]:
    # The pass is over once the deck is back at zero and the truck has cleared the exit loop
    # for good; the route arm then comes down (see _close_unneeded), as does an entry arm
    # still open after a voided entry, each only once its own loop stays clear.
    if not state.deck_zero or ev.front_blocked or state.exit_clear_since is None:
        return state, []
    return replace(next_pass(state), phase=Phase.IDLE, since=ev.now, deck_zero=True), []


def void(state: LaneState, now: float, reason: str, recorded: bool = False) -> tuple[LaneState, list[Command]]:
    """A pass that cannot complete: record why (unless it is `recorded` already), send the
    truck back, never to the plant."""
    assert state.visit is not None
    new = replace(state, phase=Phase.ROUTING, since=now, verdict="review",
                  reasons=(reason,), route="return", steady=None)
    ended: Command = VisitOver(state.visit) if recorded else RecordVoid(state.visit, reason)
    return new, [ended, Barrier("return", True)]
