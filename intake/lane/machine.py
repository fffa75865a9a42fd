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
stops it on any break (`StopProbe`) and holds the load; a break reported once the inspection
has ended is recorded beside the decision.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal, Union

from intake.config import SafetyConfig, WeighingConfig
from intake.lane.status import Verdict

PassKind = Literal["in", "out"]
BarrierName = Literal["entry", "plant", "return"]
BARRIERS: tuple[BarrierName, ...] = ("entry", "plant", "return")
EXIT_BARRIERS: frozenset[BarrierName] = frozenset({"plant", "return"})


class Phase(StrEnum):
    IDLE = "idle"              # deck empty at zero, waiting for an admitted truck
    ENTERING = "entering"      # entry barrier open, truck driving on
    WEIGHING = "weighing"      # truck on the deck, waiting for a stable weight
    INSPECTING = "inspecting"  # weigh-in recorded; sampling and inspection running
    ROUTING = "routing"        # route barrier open, waiting for the deck to clear


# ---- events -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Admitted:
    now: float
    visit: str
    plate: str
    kind: PassKind
    holds: tuple[str, ...] = ()  # anti-cheat findings known at admission (e.g. repeat weighing)


@dataclass(frozen=True)
class Readings:
    now: float
    weight_kg: int | None        # None: weight unknown (silence, bad frames, out of range)
    motion: bool | None          # indicator motion flag; None where the protocol has none
    front_blocked: bool
    rear_blocked: bool
    deck_occupied: bool
    entry_loop: bool = False     # a vehicle under the entry barrier
    exit_loop: bool = False      # a vehicle under the exit barriers (plant and return)
    # When the indicator sent the weight read (same clock as `now`); None: as of `now`. A polled
    # or busy link may deliver no new frame for a while, and one old frame seen at every tick
    # is no proof the deck stood still.
    frame_at: float | None = None


@dataclass(frozen=True)
class InspectionDone:
    now: float
    verdict: Verdict | None      # None: the truck was not sampled
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeviceFault:
    """A device lost its state under a truck: indicator reboot, I/O module gone."""
    now: float
    reason: str


@dataclass(frozen=True)
class LaneFaults:
    """The lane-closing faults active now (a barrier not following its order, the I/O module
    frozen); empty when all are gone. While any is active no truck is admitted."""
    now: float
    faults: tuple[str, ...]


@dataclass(frozen=True)
class LaneReset:
    """A technician's reset of the latched lane faults (`intake lane reset`). It takes only
    when no fault is active now; `request` is the store's id of the request it answers."""
    now: float
    by: str
    request: int | None = None


@dataclass(frozen=True)
class ProbeCycle:
    """The sampler's probe cycle began (the START may be written from now on) or ended."""
    now: float
    running: bool


@dataclass(frozen=True)
class Interlocks:
    """The lane tick's own check of the probe interlocks: the names broken now (empty: all hold)."""
    now: float
    broken: tuple[str, ...]


Event = Union[Admitted, Readings, InspectionDone, DeviceFault, LaneFaults, LaneReset, ProbeCycle, Interlocks]


# ---- commands -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordWeight:
    visit: str
    kind: PassKind
    weight_kg: int


@dataclass(frozen=True)
class RecordVoid:
    """The pass could not be completed; the visit goes to REVIEW with this reason."""
    visit: str
    reason: str


@dataclass(frozen=True)
class Inspect:
    visit: str


@dataclass(frozen=True)
class RecordHold:
    """An anti-cheat check failed after the weigh-in: the visit is held for REVIEW."""
    visit: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Barrier:
    name: BarrierName
    open: bool


@dataclass(frozen=True)
class Refuse:
    reason: str


@dataclass(frozen=True)
class RecordLatch:
    """These lane faults latched now: recorded, and the lane stays closed until a reset."""
    faults: tuple[str, ...]


@dataclass(frozen=True)
class RecordReset:
    """A reset answered: `cleared` the latched faults it ended, or `refused_by` the faults
    still active (then nothing was cleared)."""
    by: str
    request: int | None
    cleared: tuple[str, ...]
    refused_by: tuple[str, ...]


@dataclass(frozen=True)
class StopProbe:
    """Tell the sampler to stop now: an interlock broke while its probe may be moving."""
    reason: str


Command = Union[RecordWeight, RecordVoid, RecordHold, Inspect, Barrier, Refuse, RecordLatch, RecordReset,
                StopProbe]


# ---- state --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Steady:
    """The software stability window: readings stayed within ±band of `anchor` since `start`."""
    anchor: int
    start: float


@dataclass(frozen=True)
class LaneState:
    phase: Phase = Phase.IDLE
    since: float = 0.0
    visit: str | None = None
    plate: str | None = None
    kind: PassKind | None = None
    deck_zero: bool = False
    positioned: bool = False           # truck fully on the deck (gratings clear, loop occupied)
    steady: Steady | None = None
    unknown_since: float | None = None
    weight_kg: int | None = None       # the recorded weight of this pass
    verdict: Verdict | None = None
    reasons: tuple[str, ...] = ()
    route: BarrierName | None = None
    holds: tuple[str, ...] = ()        # anti-cheat findings since the weigh-in
    open: frozenset[BarrierName] = frozenset()   # arms ordered open and not yet ordered closed
    entry_clear_since: float | None = None       # the entry loop reads clear since then
    exit_clear_since: float | None = None        # the exit loop reads clear since then
    faults: tuple[str, ...] = ()                 # lane-closing faults active now
    latched: tuple[str, ...] = ()                # faults seen since the last reset: no admission
    probe: bool = False                          # the sampler's probe cycle is running
    probe_stopped: tuple[str, ...] = ()          # the interlocks the lane stopped this cycle for


_SAFETY = SafetyConfig()


def step(state: LaneState, event: Event, cfg: WeighingConfig,
         safety: SafetyConfig = _SAFETY) -> tuple[LaneState, list[Command]]:
    """The one transition function."""
    if isinstance(event, Admitted):
        new, commands = _on_admitted(state, event)
    elif isinstance(event, InspectionDone):
        new, commands = _on_inspected(state, event)
    elif isinstance(event, DeviceFault):
        new, commands = _on_fault(state, event)
    elif isinstance(event, LaneFaults):
        new, commands = _on_lane_faults(state, event)
    elif isinstance(event, LaneReset):
        new, commands = _on_reset(state, event)
    elif isinstance(event, ProbeCycle):
        new, commands = _on_probe_cycle(state, event), []
    elif isinstance(event, Interlocks):
        new, commands = _on_interlocks(state, event)
    else:
        new, commands = _on_readings(state, event, cfg)
        commands = commands + _close_unneeded(new, event.now, safety.loop_clear_s)
    return _track_open(new, commands), commands


def _track_open(state: LaneState, commands: list[Command]) -> LaneState:
    opened = set(state.open)
    for c in commands:
        if isinstance(c, Barrier):
            (opened.add if c.open else opened.discard)(c.name)
    return state if opened == state.open else replace(state, open=frozenset(opened))


def _needed(state: LaneState) -> frozenset[BarrierName]:
    """The arms this phase needs open: the entry while a truck drives on, its route after."""
    if state.phase is Phase.ENTERING:
        return frozenset({"entry"})
    if state.phase is Phase.ROUTING and state.route is not None:
        return frozenset({state.route})
    return frozenset()


def loop_clear(state: LaneState, name: BarrierName, now: float, loop_clear_s: float) -> bool:
    """The loop under `name` has read clear, without a break, for `loop_clear_s`."""
    since = state.entry_clear_since if name == "entry" else state.exit_clear_since
    return since is not None and now - since >= loop_clear_s


def _close_unneeded(state: LaneState, now: float, loop_clear_s: float) -> list[Command]:
    return [Barrier(name, False) for name in BARRIERS
            if name in state.open - _needed(state) and loop_clear(state, name, now, loop_clear_s)]


def _lane_fields(state: LaneState) -> dict[str, object]:
    """What belongs to the lane, not to one pass: kept from one pass to the next."""
    return dict(open=state.open, faults=state.faults, latched=state.latched,
                entry_clear_since=state.entry_clear_since, exit_clear_since=state.exit_clear_since)


def _on_lane_faults(state: LaneState, ev: LaneFaults) -> tuple[LaneState, list[Command]]:
    """A new lane-closing fault latches, ends a pass still weighing and holds a load being
    inspected. Its condition going away later clears `faults`, never `latched`."""
    new = [f for f in ev.faults if f not in state.faults]
    latching = tuple(f for f in ev.faults if f not in state.latched)
    state = replace(state, faults=ev.faults, latched=state.latched + latching)
    latch: list[Command] = [RecordLatch(latching)] if latching else []
    if new:
        state, commands = _on_fault(state, DeviceFault(ev.now, new[0]))
        return state, latch + commands
    return state, latch


def _on_reset(state: LaneState, ev: LaneReset) -> tuple[LaneState, list[Command]]:
    """Refused while any fault is still active: the condition must be gone before anyone may
    put the lane back in service."""
    if state.faults:
        return state, [RecordReset(ev.by, ev.request, (), state.faults)]
    return replace(state, latched=()), [RecordReset(ev.by, ev.request, state.latched, ())]


def _on_probe_cycle(state: LaneState, ev: ProbeCycle) -> LaneState:
    if ev.running and state.phase is Phase.INSPECTING:
        return replace(state, probe=True, probe_stopped=())
    return replace(state, probe=False) if state.probe else state


def _on_interlocks(state: LaneState, ev: Interlocks) -> tuple[LaneState, list[Command]]:
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
        assert state.visit is not None
        state = replace(state, holds=state.holds + (reason,), reasons=state.reasons + (reason,))
        commands.append(RecordHold(state.visit, (reason,)))
    return state, commands


def _on_fault(state: LaneState, ev: DeviceFault) -> tuple[LaneState, list[Command]]:
    """Before the weight is recorded the pass is void; after it, the load is held for review."""
    if state.phase in (Phase.ENTERING, Phase.WEIGHING):
        return _void(state, ev.now, ev.reason)
    if state.phase is Phase.INSPECTING and ev.reason not in state.holds:
        return replace(state, holds=state.holds + (ev.reason,)), []
    return state, []


def not_admissible(state: LaneState) -> str | None:
    """Why no truck may be admitted now, or None. The driver asks before it opens a visit."""
    if state.phase is not Phase.IDLE:
        return "lane_busy"
    if state.faults or state.latched:
        return "lane_fault"
    if not state.deck_zero:
        return "deck_not_zero"
    if state.open & EXIT_BARRIERS:
        # The last truck's exit is not closed yet: the next one could drive straight through.
        return "exit_open"
    return None


def _on_admitted(state: LaneState, ev: Admitted) -> tuple[LaneState, list[Command]]:
    refused = not_admissible(state)
    if refused is not None:
        return state, [Refuse(refused)]
    new = replace(LaneState(), phase=Phase.ENTERING, since=ev.now, visit=ev.visit, plate=ev.plate,
                  kind=ev.kind, holds=ev.holds, **_lane_fields(state))
    return new, [Barrier("entry", True)]


def _on_inspected(state: LaneState, ev: InspectionDone) -> tuple[LaneState, list[Command]]:
    if state.phase is not Phase.INSPECTING:
        return state, []
    assert state.visit is not None
    verdict, reasons, commands = ev.verdict, ev.reasons, []
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
    # Not sampled (verdict None) or PASS go to the plant; everything else goes back.
    route: BarrierName = "plant" if verdict in (None, "pass") else "return"
    new = replace(state, phase=Phase.ROUTING, since=ev.now, verdict=verdict, reasons=reasons, route=route,
                  probe=False)
    return new, [*commands, Barrier(route, True)]


def _on_readings(state: LaneState, ev: Readings, cfg: WeighingConfig) -> tuple[LaneState, list[Command]]:
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
        return _void(state, ev.now, "truck_not_on_deck")
    if state.positioned and not ev.entry_loop:
        # Wholly on the deck and past the entry loop: weighing starts; the entry arm comes
        # down once the loop has stayed clear (see _close_unneeded).
        return replace(state, phase=Phase.WEIGHING, since=ev.now, steady=None), []
    return state, []


def _weighing(state: LaneState, ev: Readings, cfg: WeighingConfig) -> tuple[LaneState, list[Command]]:
    assert state.visit is not None and state.kind is not None
    if ev.now - state.since > cfg.settle_timeout_s:
        return _void(state, ev.now, "no_stable_weight")
    if state.unknown_since is not None and ev.now - state.unknown_since > cfg.unknown_timeout_s:
        return _void(state, ev.now, "weight_unknown")
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
    if state.kind == "in":
        new = replace(state, phase=Phase.INSPECTING, since=ev.now, weight_kg=weight)
        return new, [RecordWeight(state.visit, "in", weight), Inspect(state.visit)]
    new = replace(state, phase=Phase.ROUTING, since=ev.now, weight_kg=weight, route="return")
    return new, [RecordWeight(state.visit, "out", weight), Barrier("return", True)]


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
    return replace(LaneState(), phase=Phase.IDLE, since=ev.now, deck_zero=True,
                   **_lane_fields(state)), []


def _void(state: LaneState, now: float, reason: str) -> tuple[LaneState, list[Command]]:
    """A pass that cannot complete: record why, send the truck back, never to the plant."""
    assert state.visit is not None
    new = replace(state, phase=Phase.ROUTING, since=now, verdict="review",
                  reasons=(reason,), route="return", steady=None)
    return new, [RecordVoid(state.visit, reason), Barrier("return", True)]
