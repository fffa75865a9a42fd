"""What a simulated indicator displays at one instant: the input of every encoder."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hardware.scale.frame import Unit


@dataclass(frozen=True)
class IndicatorState:
    """``weight`` is the displayed value in ``unit``; its exponent sets the decimals shown
    (Decimal("12.30") shows two). Protocols without a flag simply do not send it."""

    weight: Decimal
    unit: Unit = "kg"
    motion: bool = False
    net: bool = False
    tare: Decimal = Decimal(0)
    overload: bool = False
    underload: bool = False
    power_up: bool = False

    @property
    def decimals(self) -> int:
        exponent = self.weight.as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else 0


def fixed(value: Decimal, decimals: int, width: int, pad: str = "0") -> str:
    """|value| with exactly ``decimals`` decimals, left-padded to ``width`` characters."""
    text = f"{abs(value):.{decimals}f}"
    if len(text) > width:
        raise ValueError(f"{value} does not fit {width} characters")
    return text.rjust(width, pad)
