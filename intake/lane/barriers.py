"""Barrier supervision: does each arm follow its order? Pure; the driver feeds it.

The coil is only what the gate asked for; the arm's limit switches say where it is. An arm
not at the limit its order calls for within `travel_s` of the order (stuck, jammed, its drive
failed, or lifted by hand after it got there) is a lane-closing fault, as is an arm reporting
both limits at once (a switch or wiring fault). The fault lasts while the discrepancy does:
once a technician has the arm where it was ordered, its limit switch clears it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hardware.modbus.gateio import ArmLimits
from intake.lane.machine import BARRIERS, BarrierName


@dataclass(frozen=True)
class ArmOrder:
    open: bool
    # The I/O module's own time at the first heartbeat read after the order was written; None
    # until then. Stamping it at the write instead would count a stall of our own between the
    # last heartbeat read and the write (a slow store commit on a loaded machine) as arm travel.
    since: float | None


def arm_faults(orders: Mapping[BarrierName, ArmOrder], limits: Mapping[BarrierName, ArmLimits],
               now: float, travel_s: float) -> tuple[str, ...]:
    """The lane-closing faults of the arms, in barrier order; empty when every arm follows."""
    found: list[str] = []
    for name in BARRIERS:
        order, at = orders[name], limits[name]
        if at.up and at.down:
            found.append(f"barrier_{name}_limits")
        elif (order.since is not None and not (at.up if order.open else at.down)
              and now - order.since > travel_s):
            found.append(f"barrier_{name}_not_{'open' if order.open else 'closed'}")
    return tuple(found)


def stamped(orders: Mapping[BarrierName, ArmOrder], module_s: float) -> dict[BarrierName, ArmOrder]:
    """The orders with each unstamped one given `module_s`, the module time of a heartbeat read
    after its write: its travel counts from there."""
    return {n: o if o.since is not None else ArmOrder(o.open, module_s) for n, o in orders.items()}


def all_down(orders: Mapping[BarrierName, ArmOrder], limits: Mapping[BarrierName, ArmLimits]) -> bool:
    """Every arm ordered closed and at its closed limit, and only there."""
    return all(not orders[n].open and limits[n] == ArmLimits(down=True, up=False) for n in BARRIERS)
