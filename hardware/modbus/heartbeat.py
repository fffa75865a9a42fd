"""A device's heartbeat counter, judged over time: unchanged too long means the device stalled.

Judged by change, not by age of the last read: a reader that was itself late sees a changed
counter and is not fooled into calling a live device frozen.
"""
from __future__ import annotations


class HeartbeatWatch:
    """Feed every counter read with the (simulated) time it was read."""

    def __init__(self, timeout_s: float, now: float) -> None:
        self.timeout_s = timeout_s
        self.value: int | None = None
        self.changed_at = now

    def see(self, value: int, now: float) -> None:
        if value != self.value:
            self.value, self.changed_at = value, now

    def stale_for(self, now: float) -> float | None:
        """Seconds the counter has stood still beyond the timeout, or None while it is alive."""
        still = now - self.changed_at
        return still if still > self.timeout_s else None
