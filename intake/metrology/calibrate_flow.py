"""Reading one calibration point from a raw load-cell transmitter: fresh conversions (by the
transmitter's sample sequence) in a sliding window until they agree within a tolerance."""
from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass

from hardware.modbus.loadcell import LoadCellClient
from hardware.scale.calibration import CalPoint, settle


@dataclass(frozen=True)
class PointRules:
    samples: int = 20          # conversions averaged per point
    tolerance: int = 50        # max - min counts allowed within the window
    timeout: float = 30.0      # seconds per point before giving up
    poll: float = 0.01         # seconds between reads


async def read_point(client: LoadCellClient, load_kg: float, rules: PointRules,
                     previous: float | None) -> CalPoint | None:
    """The settled counts at ``load_kg``; None on timeout. With ``previous`` (script mode)
    the window must have moved away from the last point's counts first, so an unchanged deck
    is never taken for the next load. A saturated conversion ends the point at once."""
    window: deque[int] = deque(maxlen=rules.samples)
    last_seq: int | None = None
    deadline = time.monotonic() + rules.timeout
    while time.monotonic() < deadline:
        sample = await client.read()
        if sample.saturated:
            return CalPoint(load_kg, float(sample.counts), 0.0, saturated=True)
        if sample.seq != last_seq:
            last_seq = sample.seq
            window.append(sample.counts)
            got = settle(list(window), rules.tolerance) if len(window) == rules.samples else None
            if got is not None and (previous is None or abs(got[0] - previous) > 4 * rules.tolerance):
                return CalPoint(load_kg, got[0], float(got[1]))
        await asyncio.sleep(rules.poll)
    return None
