"""Simulated time: the plant runs `speed` times faster than the wall clock."""
from __future__ import annotations

import asyncio
import time


class SimClock:
    """Converts simulated seconds to wall seconds. speed=1 is real time."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.speed = speed
        self._t0_wall = time.monotonic()

    def now(self) -> float:
        """Simulated seconds since the clock was made."""
        return (time.monotonic() - self._t0_wall) * self.speed

    def wall(self, sim_seconds: float) -> float:
        return sim_seconds / self.speed

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(sim_seconds / self.speed)

    def sleep_blocking(self, sim_seconds: float) -> None:
        time.sleep(sim_seconds / self.speed)
