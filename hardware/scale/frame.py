"""What every indicator codec produces: one decoded frame, or the reason a frame was refused."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Unit = Literal["kg", "t", "lb", "g"]


@dataclass(frozen=True)
class WeightFrame:
    """A frame as the indicator reported it. Weights stay Decimal: never floats in the domain."""

    weight: Decimal
    unit: Unit
    stable: bool | None  # None where the protocol carries no motion flag
    net: bool
    tare: Decimal | None
    overload: bool
    underload: bool
    power_up: bool = False  # indicator not yet zeroed since power-up: not ready

    @property
    def usable(self) -> bool:
        """A frame whose weight field may be used at all (not out of range, not power-up)."""
        return not (self.overload or self.underload or self.power_up)

    def to_json(self) -> dict[str, object]:
        """The DESIGN.md decoded-frame contract."""
        return {
            "weight": _num(self.weight),
            "unit": self.unit,
            "stable": self.stable,
            "net": self.net,
            "tare": None if self.tare is None else _num(self.tare),
            "overload": self.overload,
            "underload": self.underload,
        }


@dataclass(frozen=True)
class FrameError:
    """A frame-shaped byte run that failed a check (checksum, field shape)."""

    error: str
    raw: bytes = b""

    def to_json(self) -> dict[str, object]:
        return {"error": self.error}


def _num(value: Decimal) -> int | float:
    # JSON has no decimal type; integral values stay ints so "1560" is not "1560.0".
    return int(value) if value == value.to_integral_value() else float(value)
