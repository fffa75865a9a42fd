"""The clock a lane runs on: real monotonic time in service, a faster one on the simulated plant
(hardware.sim.clock.SimClock). Code that waits or stamps events takes a `Clock`."""
from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    speed: float

    def now(self) -> float: ...
    def wall(self, sim_seconds: float) -> float: ...
    async def sleep(self, sim_seconds: float) -> None: ...
    def sleep_blocking(self, sim_seconds: float) -> None: ...


class MonotonicClock:
    """Seconds since the clock was made, on the monotonic clock: a wall-clock step (NTP, a
    technician setting the time) never makes a stability window or a timeout jump."""

    speed: float = 1.0

    def __init__(self) -> None:
        self._t0_wall = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._t0_wall) * self.speed

    def wall(self, sim_seconds: float) -> float:
        """Wall seconds for a span on this clock."""
        return sim_seconds / self.speed

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(sim_seconds / self.speed)

    def sleep_blocking(self, sim_seconds: float) -> None:
        time.sleep(sim_seconds / self.speed)
