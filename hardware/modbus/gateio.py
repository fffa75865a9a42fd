"""Client for the gate I/O module: barriers and traffic lights out, gratings and loops in.

Every output write is read back: a barrier command that did not land is a `GateIOError`,
not an assumption. `close_all()` is the safe state (barriers down, both lights red).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from hardware.modbus.link import ModbusLink
from hardware.modbus.registers import GATEIO, Table

BarrierName = Literal["entry", "plant", "return"]
Light = Literal["red", "green", "off"]

BARRIER_COILS: dict[BarrierName, str] = {
    "entry": "entry_barrier_open",
    "plant": "plant_barrier_open",
    "return": "return_barrier_open",
}
_LAMPS: dict[Light, tuple[bool, bool]] = {  # (red, green)
    "red": (True, False), "green": (False, True), "off": (False, False)}


class GateIOError(Exception):
    """The I/O module did not answer, refused, or did not take a command."""


@dataclass(frozen=True)
class ArmLimits:
    """One barrier arm's two limit switches. Both made at once is a wiring or switch fault."""
    down: bool
    up: bool


@dataclass(frozen=True)
class GateInputs:
    front_blocked: bool
    rear_blocked: bool
    deck_occupied: bool
    entry_loop: bool
    exit_loop: bool
    driver_confirm: bool = False  # the kiosk's "I am out of the cab" pushbutton
    entry_down: bool = True       # limit switches (see the register map)
    entry_up: bool = False
    plant_down: bool = True
    plant_up: bool = False
    return_down: bool = True
    return_up: bool = False
    zone_intrusion: bool = False  # the deck zone's safety light curtain is broken

    @property
    def truck_in_position(self) -> bool:
        """Fully on the deck: loop occupied and neither grating interrupted."""
        return self.deck_occupied and not (self.front_blocked or self.rear_blocked)

    def arm(self, name: BarrierName) -> ArmLimits:
        return ArmLimits(down=getattr(self, f"{name}_down"), up=getattr(self, f"{name}_up"))


# GateInputs field -> the discrete input it is read from.
INPUT_BITS: dict[str, str] = {
    "front_blocked": "front_grating_blocked",
    "rear_blocked": "rear_grating_blocked",
    "deck_occupied": "deck_loop_occupied",
    "entry_loop": "entry_loop_occupied",
    "exit_loop": "exit_loop_occupied",
    "driver_confirm": "driver_confirm",
    **{f"{name}_{end}": f"{name}_barrier_{end}" for name in BARRIER_COILS for end in ("down", "up")},
    "zone_intrusion": "zone_intrusion",
}


class GateIOClient:
    """Async Modbus client for the gate I/O module. `timeout` bounds each request (wall s)."""

    def __init__(self, host: str, port: int, unit: int = 1, timeout: float = 2.0) -> None:
        self._link = ModbusLink(host, port, unit=unit, timeout_s=timeout,
                                error=GateIOError, name="gate I/O")
        self._write_lock = asyncio.Lock()  # read-modify-write of the coil block

    async def connect(self) -> None:
        await self._link.connect()

    def close(self) -> None:
        self._link.close()

    async def set_barrier(self, name: BarrierName, open: bool) -> None:  # noqa: A002
        if name not in BARRIER_COILS:
            raise ValueError(f"unknown barrier {name!r}")
        await self._write_coils({BARRIER_COILS[name]: open})

    async def set_lights(self, *, entry: Light | None = None, exit: Light | None = None  # noqa: A002
                         ) -> None:
        """Set either or both lights; None leaves that light as it is."""
        wanted: dict[str, bool] = {}
        for side, light in (("entry", entry), ("exit", exit)):
            if light is None:
                continue
            if light not in _LAMPS:
                raise ValueError(f"unknown light {light!r}")
            red, green = _LAMPS[light]
            wanted |= {f"{side}_light_red": red, f"{side}_light_green": green}
        if wanted:
            await self._write_coils(wanted)

    async def close_all(self) -> None:
        """Safe state: every barrier down, both lights red."""
        await self._write_coils({coil: False for coil in BARRIER_COILS.values()}
                                | {"entry_light_red": True, "entry_light_green": False,
                                   "exit_light_red": True, "exit_light_green": False})

    async def read_barriers(self) -> dict[BarrierName, bool]:
        coils = await self._read_coils()
        return {name: coils[coil] for name, coil in BARRIER_COILS.items()}

    async def all_closed(self) -> bool:
        """True only if every barrier coil is off and every arm at its closed limit (the coil
        is only what was asked; the switch is where the arm is)."""
        if any((await self.read_barriers()).values()):
            return False
        inputs = await self.read_inputs()
        return all(inputs.arm(name) == ArmLimits(down=True, up=False) for name in BARRIER_COILS)

    async def read_inputs(self) -> GateInputs:
        start, count = GATEIO.span(Table.DISCRETE_INPUT)
        bits = GATEIO.unpack(Table.DISCRETE_INPUT, start,
                             await self._link.read(Table.DISCRETE_INPUT, start, count))
        return GateInputs(**{field: bool(bits[reg][0]) for field, reg in INPUT_BITS.items()})

    async def read_heartbeat(self) -> int:
        """The module's counter; unchanged across polls means the module is not scanning."""
        reg = GATEIO["heartbeat"]
        return (await self._link.read(Table.INPUT, reg.address, 1))[0]

    async def _read_coils(self) -> dict[str, bool]:
        start, count = GATEIO.span(Table.COIL)
        values = await self._link.read(Table.COIL, start, count)
        return {name: bool(v[0]) for name, v in GATEIO.unpack(Table.COIL, start, values).items()}

    async def _write_coils(self, wanted: dict[str, bool]) -> None:
        # Read-modify-write of the whole coil block in one request, so lamps never show
        # red and green together mid-update; then read back to prove it landed.
        start, count = GATEIO.span(Table.COIL)
        async with self._write_lock:
            current = await self._link.read(Table.COIL, start, count)
            for name, value in wanted.items():
                current[GATEIO[name].address - start] = int(value)
            await self._link.write(Table.COIL, start, current)
            back = await self._read_coils()
        wrong = sorted(name for name, value in wanted.items() if back[name] != value)
        if wrong:
            raise GateIOError(f"gate I/O did not take {wrong}")
