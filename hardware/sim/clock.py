"""Simulated time: the plant runs `speed` times faster than the wall clock."""
from __future__ import annotations

from hardware.clock import MonotonicClock


class SimClock(MonotonicClock):
    """Converts simulated seconds to wall seconds. speed=1 is real time."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        super().__init__()
        self.speed = speed
