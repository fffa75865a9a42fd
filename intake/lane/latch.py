"""The store side of a lane's fault latch (intake.store.lane_events): latched faults recorded,
technicians' reset requests fetched, answers recorded. What a request does is the lane
machine's decision (`LaneReset`); this only carries it to and from the store.

Every call runs its store work in a worker thread, like the lane's other records.
"""
from __future__ import annotations

import asyncio
import math

from sqlalchemy.engine import Engine

from hardware.clock import Clock
from intake.store import lane_events
from intake.store.lane_events import ResetRequest

# Requests are looked for at most every second of simulated time, and on a fast clock not
# more often than every 0.1 s of wall time: a technician waits a moment either way. With
# nothing latched (the answer is only "nothing to reset") every wall second is enough.
REQUEST_POLL_S = 1.0
REQUEST_POLL_MIN_WALL_S = 0.1
IDLE_POLL_WALL_S = 1.0


class LatchDesk:
    def __init__(self, engine: Engine, lane: str, clock: Clock) -> None:
        self.engine, self.lane, self.clock = engine, lane, clock
        self._after = 0                 # requests up to this id are answered or older than us
        self._next_look = -math.inf
        self._period = max(REQUEST_POLL_S, clock.speed * REQUEST_POLL_MIN_WALL_S)
        self._idle_period = max(REQUEST_POLL_S, clock.speed * IDLE_POLL_WALL_S)

    async def restore(self) -> tuple[str, ...]:
        """The faults still latched on this lane from before (a restart resets nothing).
        Requests made before now are not taken: they were meant for a gate that was not running."""
        self._after = await asyncio.to_thread(lane_events.last_id, self.engine)
        return await asyncio.to_thread(lane_events.latched_faults, self.engine, self.lane)

    async def requests(self, latched: bool) -> list[ResetRequest]:
        """New reset requests for this lane, oldest first; [] between looks."""
        now = self.clock.now()
        if now < self._next_look:
            return []
        self._next_look = now + (self._period if latched else self._idle_period)
        found = await asyncio.to_thread(lane_events.pending_resets, self.engine, self.lane, self._after)
        if found:
            self._after = found[-1].id
        return found

    async def latched(self, faults: tuple[str, ...]) -> None:
        await asyncio.to_thread(lane_events.record_fault, self.engine, self.lane, faults)

    async def answer(self, request: int | None, by: str, cleared: tuple[str, ...],
                     refused_by: tuple[str, ...]) -> None:
        await asyncio.to_thread(lane_events.record_answer, self.engine, self.lane, request, by, cleared,
                                refused_by)
