"""What the lane machine hears (events) and what it orders (commands): plain frozen data.

Every event carries the (simulated) time it happened; the machine has no clock of its own. The
driver turns device readings, store failures, watchdog reports and staff requests into events,
and carries out the commands in order (intake.lane.driver).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Union

from intake.lane.status import Verdict

PassKind = Literal["in", "out"]
BarrierName = Literal["entry", "plant", "return"]
# The remote attendant's three answers to a truck held in REVIEW: into the plant, back down the
# return lane, or off the deck by the return lane to the parking bay (still REVIEW for quality).
AttendantAction = Literal["release", "send_back", "park"]
ATTENDANT_ACTIONS: tuple[AttendantAction, ...] = ("release", "send_back", "park")
BARRIERS: tuple[BarrierName, ...] = ("entry", "plant", "return")
EXIT_BARRIERS: frozenset[BarrierName] = frozenset({"plant", "return"})


class Phase(StrEnum):
    IDLE = "idle"              # deck empty at zero, waiting for an admitted truck
    ENTERING = "entering"      # entry barrier open, truck driving on
    WEIGHING = "weighing"      # truck on the deck, waiting for a stable weight
    INSPECTING = "inspecting"  # weigh-in recorded; sampling and inspection running
    HELD = "held"              # judged REVIEW; waiting on the deck for the remote attendant
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
    driver_confirm: bool = False   # the kiosk pushbutton is held now (only a press counts)
    # The indicator reader's (port epoch, power-up frames) counters: a change means the
    # indicator restarted, which voids a weighing under way (None: a source without them).
    restarts: tuple[int, int] | None = None


@dataclass(frozen=True)
class InspectionDone:
    now: float
    verdict: Verdict | None      # None: the truck was not sampled
    reasons: tuple[str, ...] = ()
    label: str | None = None     # what the sample was judged to be


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
class ProbeProgress:
    """The inspector drew this truck for sampling (`done` 0), or the sampler reports the
    cores taken so far: what the kiosk shows the driver waiting in the safe zone."""
    now: float
    done: int
    total: int


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


@dataclass(frozen=True)
class IOLink:
    """This tick's answer from the I/O module: `error` None when it answered."""
    now: float
    error: str | None


@dataclass(frozen=True)
class BarrierNotTaken:
    """The I/O module did not take a barrier order: it is kept and sent again once it answers."""
    now: float
    name: BarrierName
    open: bool
    error: str


@dataclass(frozen=True)
class StoreFailed:
    """The store refused a record (`fault`: store:full, store:locked, ...): the lane stands
    still and admits nobody until it takes records again."""
    now: float
    fault: str


@dataclass(frozen=True)
class StoreBack:
    """The store takes records again. `owed`: the visit whose REVIEW was written on the way
    back (reason `reason`); if it is still on the deck it leaves by the return lane."""
    now: float
    owed: str | None
    reason: str


@dataclass(frozen=True)
class LoopDown:
    """The watchdog found one of the lane's loops hung or gone (`final`: it gave up restarting
    it). `job`: the visit the inspection worker had in hand, if any."""
    now: float
    part: str
    reason: str
    final: bool = False
    job: str | None = None


@dataclass(frozen=True)
class LoopUp:
    now: float
    part: str


@dataclass(frozen=True)
class ArmsClosed:
    """The fail-closed procedure lowered these arms (see CloseWhenClear)."""
    now: float
    names: tuple[BarrierName, ...]


@dataclass(frozen=True)
class Refused:
    """The store refused to admit this plate (unknown, no open order, ...)."""
    now: float
    plate: str
    reason: str


@dataclass(frozen=True)
class AttendantDecision:
    """A logged-in attendant's answer to the truck held in REVIEW (the console). `request`: the
    store's id of the request row; `visit`: the truck the attendant saw, so an answer meant for
    one truck can never move the next one."""
    now: float
    visit: str
    action: AttendantAction
    by: str
    reason: str
    request: int | None = None


@dataclass(frozen=True)
class AttendantCalled:
    """The driver pressed the kiosk's call button (recorded by the kiosk page already)."""
    now: float


Event = Union[Admitted, Readings, InspectionDone, DeviceFault, LaneFaults, LaneReset, ProbeCycle, ProbeProgress,
              Interlocks,
              IOLink, BarrierNotTaken, StoreFailed, StoreBack, LoopDown, LoopUp, ArmsClosed, Refused,
              AttendantDecision, AttendantCalled]


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
    """An anti-cheat check failed after the weigh-in: the visit is held for REVIEW, or, when
    the sample already REJECTed it, the REJECT is recorded again with the cause beside it."""
    visit: str
    reasons: tuple[str, ...]
    verdict: Literal["review", "reject"] = "review"
    label: str | None = None


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


@dataclass(frozen=True)
class LoadAccepted:
    """The weigh-in's load goes into the plant, its decision recorded. Where the plant allows
    it, a vehicle with a valid stored tare ends its delivery here (intake.store.stored_tare):
    the driver records the stored tare before the plant arm opens, and no weigh-out follows."""
    visit: str


@dataclass(frozen=True)
class VisitOver:
    """The pass ended and its outcome is already recorded (by the store's way back)."""
    visit: str


@dataclass(frozen=True)
class CloseWhenClear:
    """Fail closed: lights red, and each arm down once nothing has been under it for
    loop_clear_s; the driver reports what it lowered (ArmsClosed)."""


@dataclass(frozen=True)
class ShowRefusal:
    """Tell the driver at the kiosk, and whoever follows the lane, why this plate was refused."""
    plate: str
    reason: str


@dataclass(frozen=True)
class RecordAttendant:
    """The attendant's decision taken (`refused` None): recorded as a new decision (release:
    PASS; send back and park: REVIEW) before the barrier command after it. Or refused, with why
    (`refused`): recorded as the answer to the request, and nothing moves."""
    visit: str
    action: AttendantAction
    by: str
    reason: str
    request: int | None
    refused: str | None = None


Command = Union[RecordWeight, RecordVoid, RecordHold, Inspect, Barrier, Refuse, RecordLatch, RecordReset,
                StopProbe, VisitOver, CloseWhenClear, ShowRefusal, RecordAttendant, LoadAccepted]
