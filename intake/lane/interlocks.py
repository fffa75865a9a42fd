"""Conditions that must all hold for the sampler's probe to move over a truck: before START and
at every poll of the cycle. Pure: the driver gathers the signals, this decides.

Any one broken stops the probe (the sampler client sends STOP) and the load goes to REVIEW
with the interlock's name. Hardwired safety (light curtains to the sampler's safety relay, the
emergency stop) acts without the software; these are the software's own layer.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InterlockView:
    weight_recorded: bool     # the weigh-in this sample belongs to is committed
    truck_steady: bool        # weight known, no motion, within the band, truck wholly on the deck
    barriers_closed: bool     # every arm ordered closed and at its closed limit switch
    driver_out: bool          # the driver confirmed at the kiosk: out of the cab, in the safe zone
    boom_clear: bool          # the PLC reports the boom parked (before START only)
    zone_clear: bool = True   # nobody inside the deck zone's safety light curtain
    io_alive: bool = True     # the I/O module's heartbeat counts: its inputs are live
    lane_ok: bool = True      # no lane-closing fault (barrier not following, module frozen)


@dataclass(frozen=True)
class ProbeSignals:
    """The raw signals at one instant, as the driver last read them."""
    inspecting: bool                 # the lane is in its INSPECTING phase
    recorded_kg: int | None          # the weigh-in of this pass, once committed
    weight_kg: int | None            # the indicator now (None: unknown)
    unknown_for_s: float             # how long the weight has been unknown (0 while known)
    motion: bool | None
    positioned: bool                 # deck loop occupied, both gratings clear
    arms_down: bool                  # barriers.all_down(...)
    driver_out: bool
    zone_intrusion: bool
    io_stale: bool
    lane_faults: tuple[str, ...]
    boom_clear: bool | None          # None during the cycle: the boom is out by design


def view_of(s: ProbeSignals, band_kg: int, unknown_tolerance_s: float) -> InterlockView:
    """`unknown_tolerance_s`: a weight unknown this long at most is a gap in the indicator's
    frames, not a break (the weighing itself lives by the same limit); longer, and nothing
    says the truck is still."""
    if s.weight_kg is None:
        weight_ok = s.unknown_for_s <= unknown_tolerance_s
    else:
        weight_ok = s.motion is not True and abs(s.weight_kg - (s.recorded_kg or 0)) <= band_kg
    steady = weight_ok and s.recorded_kg is not None and s.positioned
    return InterlockView(weight_recorded=s.inspecting and s.recorded_kg is not None, truck_steady=steady,
                         barriers_closed=s.arms_down, driver_out=s.driver_out,
                         boom_clear=True if s.boom_clear is None else s.boom_clear,
                         zone_clear=not s.zone_intrusion, io_alive=not s.io_stale, lane_ok=not s.lane_faults)


def failing(view: InterlockView) -> list[str]:
    """Names of the interlocks that refuse motion; empty means the probe may move."""
    return [name for name, ok in vars(view).items() if not ok]
