"""Conditions that must all hold before the sampler's probe may move over a truck. Pure."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InterlockView:
    weight_recorded: bool     # the weigh-in this sample belongs to is committed
    truck_steady: bool        # weight known, no motion, truck wholly on the deck
    barriers_closed: bool     # nothing can drive on or off while the probe is down
    driver_out: bool          # the driver confirmed at the kiosk: out of the cab, in the safe zone
    boom_clear: bool          # the PLC reports the boom parked (no leftover motion)


def failing(view: InterlockView) -> list[str]:
    """Names of the interlocks that refuse motion; empty means the sampler may start."""
    return [name for name, ok in vars(view).items() if not ok]
