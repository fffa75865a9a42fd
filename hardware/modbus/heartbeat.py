"""A device's heartbeat counter, judged over time: unchanged too long means the device stalled.

Judged by change, not by age of the last read: a reader that was itself late sees a changed
counter and is not fooled into calling a live device frozen.
"""
from __future__ import annotations


class HeartbeatWatch:
    """Feed every counter read with the (simulated) time it was read."""

    def __init__(self, timeout_s: float, now: float, period_s: float = 0.1) -> None:
        self.timeout_s, self.period_s = timeout_s, period_s
        self.value: int | None = None
        self.changed_at = now
        self.ticks = 0   # counts seen since the first read, unwrapped: the device's own time
        self._unread = False
        self._late = 0   # reads of the same count since the timeout passed

    def unread(self) -> None:
        """A read failed. Until the next one nothing is known of the device: its count is
        judged afresh from that read, so a link that was down is not taken for a stalled device
        (a count that then stands still for the timeout still is one)."""
        self._unread = True

    def see(self, value: int, now: float) -> None:
        if self._unread:
            self._unread, self.changed_at = False, now
        if value != self.value:
            if self.value is not None:
                # Never faster than our own clock: a device that restarted its count (a jump
                # back, read as a huge step forward) must not make time seem to have passed.
                most = int((now - self.changed_at) / self.period_s) + 1
                self.ticks += min((value - self.value) & 0xFFFF, most)
            self.value, self.changed_at, self._late = value, now, 0
        elif now - self.changed_at > self.timeout_s:
            self._late += 1

    @property
    def device_s(self) -> float:
        """Seconds of the device's own time since the first read (its counted periods)."""
        return self.ticks * self.period_s

    def stale_for(self, now: float) -> float | None:
        """Seconds the counter has stood still beyond the timeout, or None while it is alive.
        Two reads past the timeout must show the same count, not one: the first read after a
        stall of the reader's own machine can meet a count the device (or a gateway's buffer,
        or a simulator sharing the stalled process) had no chance to refresh; the next has."""
        still = now - self.changed_at
        return still if still > self.timeout_s and self._late >= 2 else None
