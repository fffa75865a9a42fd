"""The store side of the remote attendant (intake.store.attendant): the kiosk's calls and the
console's requests fetched as lane events, the machine's answers recorded. What a request does
is the lane machine's decision (`AttendantDecision`); this only carries it to and from the store.

Every call runs its store work in a worker thread, like the lane's other records.
"""
from __future__ import annotations

import asyncio
import math

from sqlalchemy.engine import Engine

from hardware.clock import Clock
from intake.lane.events import ATTENDANT_ACTIONS, AttendantCalled, AttendantDecision, Event, RecordAttendant
from intake.store import attendant

# Looked for every simulated second, and on a fast clock not more often than every 0.1 s of
# wall time: the attendant and the driver wait a moment either way.
POLL_S = 1.0
POLL_MIN_WALL_S = 0.1


class AttendantDesk:
    def __init__(self, engine: Engine, lane: str, clock: Clock) -> None:
        self.engine, self.lane, self.clock = engine, lane, clock
        self._after: int | None = None     # rows up to this id are taken or older than us
        self._next_look = -math.inf
        self._period = max(POLL_S, clock.speed * POLL_MIN_WALL_S)

    async def events(self) -> list[Event]:
        """New calls and requests for this lane as machine events, oldest first; [] between looks.
        What was asked before this gate ran is not taken: it was meant for a truck long gone."""
        now = self.clock.now()
        if now < self._next_look:
            return []
        self._next_look = now + self._period
        if self._after is None:
            self._after = await asyncio.to_thread(attendant.last_id, self.engine)
            return []
        found = await asyncio.to_thread(attendant.pending, self.engine, self.lane, self._after)
        if found:
            self._after = found[-1].id
        out: list[Event] = []
        for row in found:
            if row.kind == "call":
                out.append(AttendantCalled(now))
                continue
            action = next((a for a in ATTENDANT_ACTIONS if a == row.action), None)
            if action is not None and row.visit is not None:
                out.append(AttendantDecision(now, row.visit, action, row.by, row.reason, row.id))
        return out

    async def answer(self, command: RecordAttendant) -> None:
        await asyncio.to_thread(attendant.answer, self.engine, self.lane, command.request, command.visit,
                                command.action, command.by, command.reason, command.refused)
