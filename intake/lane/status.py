"""What a lane shows the outside world (kiosk, health): a snapshot, and a hub that fans it out."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class LaneStep(StrEnum):
    IDLE = "idle"                  # deck empty, waiting for a truck
    ARRIVING = "arriving"          # truck at the entry, being identified
    POSITIONING = "positioning"    # on the deck, not fully on yet / moving
    WEIGHING_IN = "weighing_in"    # waiting for a stable gross weight
    SAMPLING = "sampling"          # probe sampler taking cores
    INSPECTING = "inspecting"      # camera + classifier
    HELD = "held"                  # judged REVIEW, waiting on the deck for the remote attendant
    DECIDED = "decided"            # verdict given, barrier for the route open
    UNLOADING = "unloading"        # truck away at the bay (passed) or leaving (rejected)
    WEIGHING_OUT = "weighing_out"  # back on the deck, waiting for a stable tare
    LEAVING = "leaving"            # visit closed, truck driving off
    OUT_OF_SERVICE = "out_of_service"


Verdict = Literal["pass", "reject", "review"]
Route = Literal["plant", "return"]
Attendant = Literal["release", "send_back", "park"]   # the remote attendant's answer (lane events)
# Where the driver is in the probe cycle: drawn and asked to leave the cab and press the button,
# the press taken, the probe running, the cycle over (safe to get back in).
ProbeStage = Literal["press", "confirmed", "running", "done"]


class Receipt(BaseModel):
    """What the driver is shown once the truck is weighed out: the weighings and the ticket."""
    gross_kg: int | None = None
    tare_kg: int | None = None     # None when the load went back: the second weight is an exit weight
    exit_kg: int | None = None
    net_kg: int | None = None
    received: bool = False
    ticket: int | None = None


class LaneStatus(BaseModel):
    lane: str
    step: LaneStep = LaneStep.IDLE
    visit: str | None = None
    plate: str | None = None
    material: str | None = None
    material_name: tuple[str, str] | None = None   # (zh, en) as the plant's master data names it
    weight_kg: int | None = None       # live reading, None when the weight is unknown
    weight_stable: bool | None = None
    verdict: Verdict | None = None
    reasons: list[str] = Field(default_factory=list)
    route: Route | None = None         # the exit barrier ordered for this truck
    probe: ProbeStage | None = None
    points_done: int | None = None
    points_total: int | None = None
    receipt: Receipt | None = None     # set while the truck leaves after its weigh-out
    fault: str | None = None           # why the lane is out of service, if it is
    # The fault's condition has gone but the lane stays closed until a technician resets it
    # (`intake lane reset`); `fault` still names what latched.
    awaiting_reset: bool = False
    hold_left_s: int | None = None     # HELD: whole seconds left for the attendant's answer
    attendant: Attendant | None = None   # what the attendant decided for this truck
    called: bool = False               # the driver's call for the attendant is raised
    called_at: float | None = None     # the lane clock's time of that call (a new one is a new cue)
    updated_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))


ALL_LANES = "*"   # subscribe to this for every lane's snapshots (the staff overview and console)


class StatusHub:
    """Latest status per lane plus bounded subscriber queues (slow readers drop old snapshots)."""

    def __init__(self, queue_size: int = 8, all_queue_size: int = 64) -> None:
        self._latest: dict[str, LaneStatus] = {}
        self._subs: dict[str, set[asyncio.Queue[LaneStatus]]] = {}
        self._queue_size = queue_size
        self._all_queue_size = all_queue_size

    def lanes(self) -> list[str]:
        return sorted(self._latest)

    def latest(self, lane: str) -> LaneStatus | None:
        return self._latest.get(lane)

    def publish(self, status: LaneStatus) -> None:
        """Call from the event loop thread."""
        self._latest[status.lane] = status
        for queue in (*self._subs.get(status.lane, ()), *self._subs.get(ALL_LANES, ())):
            if queue.full():
                queue.get_nowait()  # drop the oldest: kiosks want the newest state
            queue.put_nowait(status)

    def subscribe(self, lane: str) -> asyncio.Queue[LaneStatus]:
        """`lane` ALL_LANES: every lane's snapshots, each lane's current one first."""
        if lane == ALL_LANES:
            queue: asyncio.Queue[LaneStatus] = asyncio.Queue(max(self._all_queue_size, len(self._latest)))
            current = [self._latest[name] for name in self.lanes()]
        else:
            queue = asyncio.Queue(self._queue_size)
            current = [self._latest[lane]] if lane in self._latest else []
        self._subs.setdefault(lane, set()).add(queue)
        for status in current:
            queue.put_nowait(status)
        return queue

    def unsubscribe(self, lane: str, queue: asyncio.Queue[LaneStatus]) -> None:
        self._subs.get(lane, set()).discard(queue)
