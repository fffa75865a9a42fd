"""Rolling figures for a live indicator view: frame rate, rejected-frame rate, raw bytes.
Pure bookkeeping fed by the reader's callback; the CLI draws it."""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from hardware.scale.frame import FrameError, WeightFrame

WINDOW_S = 5.0


@dataclass(frozen=True)
class Snapshot:
    rate: float  # good frames per second over the window
    rejected_rate: float  # refused / (good + refused) over the window
    last_error: str | None
    raw: list[str]  # the last raw chunks, printable (escapes for control bytes)


def printable(data: bytes) -> str:
    """Bytes as text an operator can read: ASCII as is, everything else as \\xNN."""
    return "".join(chr(b) if 0x20 <= b < 0x7F else f"\\x{b:02x}" for b in data)


class MonitorState:
    def __init__(self, window: float = WINDOW_S, raw_lines: int = 4) -> None:
        self._window = window
        self._raw_lines = raw_lines
        self._events: deque[tuple[float, bool]] = deque(maxlen=10_000)
        self._last_error: str | None = None
        self._lock = threading.Lock()

    def add(self, item: WeightFrame | FrameError, at: float | None = None) -> None:
        now = time.monotonic() if at is None else at
        with self._lock:
            self._events.append((now, isinstance(item, WeightFrame)))
            if isinstance(item, FrameError):
                self._last_error = item.error

    def snapshot(self, raw_tail: list[tuple[float, bytes]], now: float | None = None) -> Snapshot:
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = [good for at, good in self._events if now - at <= self._window]
            last_error = self._last_error
            oldest = self._events[0][0] if self._events else now
        good = sum(recent)
        span = min(self._window, now - oldest)  # a young view divides by its own age
        raw = [printable(chunk[-60:]) for _, chunk in raw_tail[-self._raw_lines:]]
        return Snapshot(rate=good / span if span > 0 else 0.0,
                        rejected_rate=(len(recent) - good) / len(recent) if recent else 0.0,
                        last_error=last_error, raw=raw)
