"""Taking one stable reading per test step from the indicator's frame stream.

Pure logic fed with (arrival time, frame): the CLI pumps frames from a real ScaleReader into
it, tests can feed it directly. A reading is taken when the indicator's own stable flag is set
(for protocols without one, identical frames) and every reading for ``stable_time`` seconds
stayed within ±1 e. For a step after the first, the load must visibly have been changed
first (motion, or a reading more than 1 e from the last step's), so the reading of the
previous load is never taken twice; and the reading must lie within ``band`` of the nominal
load, so a half-placed stack of weights that settles for a moment is not taken.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hardware.scale.frame import FrameError, WeightFrame

_TO_KG = {"kg": Decimal(1), "t": Decimal(1000)}


def frame_kg(frame: WeightFrame) -> Decimal:
    """The frame's weight in kg; verification on lb/g indicators is out of scope here."""
    factor = _TO_KG.get(frame.unit)
    if factor is None:
        raise ValueError(f"indicator shows {frame.unit}; verify needs kg or t")
    return frame.weight * factor


class StableWindow:
    """Readings that held within ±band for ``stable_time`` seconds, indicator flag set."""

    def __init__(self, e: Decimal, stable_time: float) -> None:
        self.e, self.stable_time = e, stable_time
        self._start: float | None = None
        self._low = self._high = Decimal(0)
        self._last: Decimal | None = None

    def reset(self) -> None:
        self._start, self._last = None, None

    def feed(self, t: float, item: WeightFrame | FrameError) -> Decimal | None:
        """The settled reading once the window is satisfied, else None."""
        if isinstance(item, FrameError) or not item.usable or item.stable is False:
            self.reset()
            return None
        kg = frame_kg(item)
        if item.stable is None and self._last is not None and kg != self._last:
            self.reset()  # no motion flag: only identical frames count as steady
        if self._start is None:
            self._start, self._low, self._high = t, kg, kg
        self._low, self._high = min(self._low, kg), max(self._high, kg)
        if self._high - self._low > 2 * self.e:  # outside ±1 e: start again from here
            self._start, self._low, self._high = t, kg, kg
        self._last = kg
        return kg if t - self._start >= self.stable_time else None


@dataclass
class StepCapture:
    """Follows the frames of one step; ``taken`` is set when a reading qualifies."""
    load: Decimal
    e: Decimal
    band: Decimal
    previous: Decimal | None          # the last step's reading; None: no change needed
    window: StableWindow
    changed: bool = False
    taken: Decimal | None = None
    fallback: Decimal | None = None   # last settled reading after the change, outside the band

    def __post_init__(self) -> None:
        self.changed = self.previous is None

    def feed(self, t: float, item: WeightFrame | FrameError) -> bool:
        """True once the step has its reading."""
        if self.taken is not None:
            return True
        if isinstance(item, WeightFrame) and item.usable:
            kg = frame_kg(item)
            if item.stable is False or (self.previous is not None and abs(kg - self.previous) > self.e):
                self.changed = True
        settled = self.window.feed(t, item)
        if settled is None or not self.changed:
            return False
        if abs(settled - self.load) <= self.band:
            self.taken = settled
            return True
        self.fallback = settled
        return False


def capture_band(load: Decimal, e: Decimal) -> Decimal:
    """How far from the nominal load a settled reading may be and still be this step's:
    wide enough for any scale worth verifying (10 e, or 5 % of the load), narrow enough to
    skip a partial stack of test weights."""
    return max(10 * e, load / 20)
