"""The devices a lane driver talks to, as typed interfaces: the scale reader and the gate I/O
module (hardware.scale.reader.ScaleReader and hardware.modbus.gateio.GateIOClient in service,
the simulated plant's in the demo), and the indicator frame as whole kilograms."""
from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from hardware.modbus.gateio import GateInputs, Light
from hardware.scale.frame import WeightFrame
from hardware.scale.reader import Reading
from intake.lane.events import BarrierName

_TO_KG = {"kg": Decimal(1), "t": Decimal(1000), "g": Decimal("0.001"), "lb": Decimal("0.45359237")}


class ScaleSource(Protocol):
    def latest(self) -> Reading: ...


class GateIO(Protocol):
    async def read_inputs(self) -> GateInputs: ...
    async def read_heartbeat(self) -> int: ...
    async def read_barriers(self) -> dict[BarrierName, bool]: ...
    async def set_barrier(self, name: BarrierName, open: bool) -> None: ...
    async def set_lights(self, *, entry: Light | None = None, exit: Light | None = None) -> None: ...


class LaneSampler(Protocol):
    """What the lane itself asks of the sampler: its boom's position, and STOP."""
    async def boom_clear(self) -> bool: ...
    async def stop(self) -> None: ...


def frame_to_kg(frame: WeightFrame | None) -> tuple[int | None, bool | None]:
    """An indicator frame as whole kilograms, or None when it is no usable weight."""
    if frame is None or not frame.usable:
        return None, None
    weight = frame.weight * _TO_KG[frame.unit]
    if weight != weight.to_integral_value():
        # Not a whole kilogram (a lb or g scale): the gate records kg as reported, never rounded.
        return None, None
    return int(weight), (None if frame.stable is None else not frame.stable)
