"""The lane machine's state: one pass's progress, and what belongs to the lane across passes.

A new pass starts from a fresh `LaneState` carrying over only the lane's own fields (`next_pass`); so nothing of one
truck's pass (its weight, holds, the driver's button press) can leak into the next one.
"""
from __future__ import annotations

from dataclasses import dataclass

from intake.lane.events import AttendantAction, Barrier, BarrierName, PassKind, Phase, Refused
from intake.lane.status import Verdict


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
    probe: bool = False                # the sampler's probe cycle is running
    probe_stopped: tuple[str, ...] = ()   # the interlocks the lane stopped this cycle for
    sampled: bool = False              # this pass's probe cycle has run (the classifier's turn)
    points: tuple[int, int] | None = None   # (cores taken, cores planned) once drawn for sampling
    driver_out: bool = False           # the driver pressed the kiosk button during this pass
    held_until: float | None = None    # HELD: the attendant's window ends then (return lane after)
    attendant: AttendantAction | None = None   # what the attendant decided for this pass
    # ---- the lane's, kept from one pass to the next (next_pass) ----
    open: frozenset[BarrierName] = frozenset()   # arms ordered open and not yet ordered closed
    entry_clear_since: float | None = None       # the entry loop reads clear since then
    exit_clear_since: float | None = None        # the exit loop reads clear since then
    faults: tuple[str, ...] = ()                 # lane-closing faults active now
    latched: tuple[str, ...] = ()                # faults seen since the last reset: no admission
    confirm_held: bool = True          # the button read held at the last tick (held at start: no press)
    restarts: tuple[int, int] | None = None      # the indicator reader's restart counters
    io_error: str | None = None        # the I/O module did not answer or took no order
    pending: tuple[Barrier, ...] = ()  # openings the I/O module has not taken yet
    store_fault: str | None = None     # the store takes no records (store:full, ...)
    down: tuple[tuple[str, str], ...] = ()   # watched loops down: (part, why)
    refused: Refused | None = None     # the last refused plate, for the kiosk
    called: float | None = None        # the driver's last call for the attendant (kiosk button)


def next_pass(state: LaneState) -> LaneState:
    """A fresh pass on this lane: nothing of the last pass, everything of the lane's own."""
    return LaneState(
        open=state.open, entry_clear_since=state.entry_clear_since, exit_clear_since=state.exit_clear_since,
        faults=state.faults, latched=state.latched, confirm_held=state.confirm_held, restarts=state.restarts,
        io_error=state.io_error, pending=state.pending, store_fault=state.store_fault, down=state.down,
        refused=state.refused, called=state.called)


def out_of_service(state: LaneState) -> str | None:
    """Why the lane admits nobody for a reason outside the pass (store, loops, I/O), or None."""
    if state.store_fault:
        return state.store_fault
    if state.down:
        return "; ".join(why for _, why in state.down)
    return state.io_error


def needed_open(state: LaneState) -> frozenset[BarrierName]:
    """The arms this phase needs open: the entry while a truck drives on, its route after."""
    if state.phase is Phase.ENTERING:
        return frozenset({"entry"})
    if state.phase is Phase.ROUTING and state.route is not None:
        return frozenset({state.route})
    return frozenset()
