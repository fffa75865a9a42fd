"""How many wrong order codes a lane (and the gate as a whole) may take before it waits.

Kept in memory: it stops a script walking the code space through the keypad API; a restart
forgets it, which costs a guesser one window, not the code space. The total bucket also catches
guesses spread over lane names that do not exist.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class GuessLimit:
    per_lane: int = 5
    total: int = 20
    window_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _lanes: dict[str, deque[float]] = field(default_factory=dict)
    _all: deque[float] = field(default_factory=deque)

    def _trim(self, times: deque[float], now: float) -> deque[float]:
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def retry_after(self, lane: str) -> float:
        """0 when `lane` may try a code now; otherwise seconds until it may."""
        now = self.clock()
        waits = []
        for times, limit in ((self._trim(self._lanes.get(lane, deque()), now), self.per_lane),
                             (self._trim(self._all, now), self.total)):
            if len(times) >= limit:
                waits.append(times[len(times) - limit] + self.window_s - now)
        return max(waits, default=0.0)

    def failed(self, lane: str) -> None:
        now = self.clock()
        self._lanes.setdefault(lane[:16], deque()).append(now)
        self._all.append(now)
        if len(self._lanes) > 1000:   # bounded: forget lanes with no recent failure
            self._lanes = {k: v for k, v in self._lanes.items() if self._trim(v, now)}
