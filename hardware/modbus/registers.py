"""The Modbus register map of the sampler PLC and the gate I/O module.

Written once, as a table, and read by everything else: the clients address registers by
name through it, the simulators build their datastores from it, and `render_markdown()`
produces the README table (`python -m hardware.modbus.registers`).

Addresses are 0-based PDU addresses (what goes on the wire), not 4xxxx/3xxxx labels.
32-bit values occupy two registers, high word first (the most common PLC convention).
"""
from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Access = Literal["R", "RW"]

MAX_POINTS = 8  # probe points per truck the PLC can hold


class Table(enum.StrEnum):
    COIL = "coil"
    DISCRETE_INPUT = "discrete_input"
    HOLDING = "holding"
    INPUT = "input"

    @property
    def is_bit(self) -> bool:
        return self in (Table.COIL, Table.DISCRETE_INPUT)


# Tables a Modbus master can write; the others are read-only by the protocol itself.
_WRITABLE = frozenset({Table.COIL, Table.HOLDING})


@dataclass(frozen=True)
class Register:
    name: str
    table: Table
    address: int
    count: int
    access: Access
    description: str

    def __post_init__(self) -> None:
        if not 0 <= self.address <= 0xFFFF:
            raise ValueError(f"{self.name}: address {self.address} outside 0..65535")
        if self.count < 1 or self.address + self.count > 0x10000:
            raise ValueError(f"{self.name}: count {self.count} invalid at {self.address}")
        if self.access == "RW" and self.table not in _WRITABLE:
            raise ValueError(f"{self.name}: {self.table} cannot be written by a master")

    @property
    def end(self) -> int:
        """One past the last address."""
        return self.address + self.count


def find_overlaps(registers: Iterable[Register]) -> list[tuple[Register, Register]]:
    """Pairs of registers in the same table whose address ranges share an address."""
    by_table: dict[Table, list[Register]] = {}
    for reg in registers:
        by_table.setdefault(reg.table, []).append(reg)
    clashes: list[tuple[Register, Register]] = []
    for regs in by_table.values():
        ordered = sorted(regs, key=lambda r: (r.address, r.end))
        for i, first in enumerate(ordered):
            for second in ordered[i + 1:]:
                if second.address >= first.end:
                    break  # sorted by start: nothing later can reach back into `first`
                clashes.append((first, second))
    return clashes


@dataclass(frozen=True)
class DeviceMap:
    """The registers of one Modbus device (one server / unit id)."""

    device: str
    title: str
    registers: tuple[Register, ...]

    def __post_init__(self) -> None:
        names = [r.name for r in self.registers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"{self.device}: duplicate register names {dupes}")
        clashes = find_overlaps(self.registers)
        if clashes:
            pairs = ", ".join(f"{a.name}/{b.name}" for a, b in clashes)
            raise ValueError(f"{self.device}: overlapping registers {pairs}")

    def __getitem__(self, name: str) -> Register:
        for reg in self.registers:
            if reg.name == name:
                return reg
        raise KeyError(f"{self.device} has no register {name!r}")

    def in_table(self, table: Table) -> tuple[Register, ...]:
        return tuple(sorted((r for r in self.registers if r.table is table),
                            key=lambda r: r.address))

    def span(self, table: Table) -> tuple[int, int]:
        """(first address, count) covering every register of `table`: one read gets all."""
        regs = self.in_table(table)
        if not regs:
            raise KeyError(f"{self.device} has no {table} registers")
        return regs[0].address, max(r.end for r in regs) - regs[0].address

    def unpack(self, table: Table, start: int, values: Sequence[int]) -> dict[str, list[int]]:
        """Split a block read at `start` into {register name: its values}."""
        out: dict[str, list[int]] = {}
        for reg in self.in_table(table):
            lo, hi = reg.address - start, reg.end - start
            if lo >= 0 and hi <= len(values):
                out[reg.name] = [int(v) for v in values[lo:hi]]
        return out


def u32_to_regs(value: int) -> list[int]:
    if not 0 <= value <= 0xFFFF_FFFF:
        raise ValueError(f"{value} does not fit in uint32")
    return [(value >> 16) & 0xFFFF, value & 0xFFFF]


def regs_to_u32(regs: Sequence[int]) -> int:
    if len(regs) != 2:
        raise ValueError(f"uint32 needs 2 registers, got {len(regs)}")
    return (int(regs[0]) << 16) | int(regs[1])


class SamplerCommand(enum.IntEnum):
    NONE = 0
    START = 1
    STOP = 2  # abort: retract the probe, go to IDLE
    RESET = 3  # acknowledge DONE or clear FAULT, go to IDLE


class SamplerState(enum.IntEnum):
    IDLE = 0
    RUNNING = 1
    UNLOADING = 2
    DONE = 3
    FAULT = 9


class SamplerFault(enum.IntEnum):
    """Fault codes the sampler PLC reports; vendors add their own above 100."""

    NONE = 0
    PLAN_INVALID = 1  # point count or a point outside the bed
    PROBE_BLOCKED = 2
    EMERGENCY_STOP = 3
    DRIVE = 4
    SAMPLE_MISSING = 5  # cycle finished but the sample container is empty


_H, _I, _C, _D = Table.HOLDING, Table.INPUT, Table.COIL, Table.DISCRETE_INPUT

SAMPLER = DeviceMap("sampler", "Sampler PLC", (
    Register("command", _H, 0, 1, "RW",
             "0 none, 1 start, 2 stop/abort, 3 reset; the PLC clears it to 0 once taken"),
    Register("sample_code", _H, 1, 2, "RW", "blind sample code, uint32 (high word first)"),
    Register("point_count", _H, 3, 1, "RW", f"probe points in the plan, 1..{MAX_POINTS}"),
    Register("bed_length_mm", _H, 4, 1, "RW", "truck bed length, mm"),
    Register("bed_width_mm", _H, 5, 1, "RW", "truck bed width, mm"),
    Register("points_xy_mm", _H, 10, 2 * MAX_POINTS, "RW",
             "point i (0-based): x at 10+2i, y at 11+2i, mm from the bed's front-left corner"),
    Register("status", _I, 0, 1, "R", "0 idle/ready, 1 running, 2 unloading, 3 done, 9 fault"),
    Register("fault_code", _I, 1, 1, "R", "0 none, 1 plan invalid, 2 probe blocked, "
             "3 emergency stop, 4 drive, 5 sample missing"),
    Register("heartbeat", _I, 2, 1, "R", "+1 every 100 ms while the PLC runs, wraps at 65535"),
    Register("sample_grams", _I, 3, 2, "R", "mass in the sample container, g, uint32"),
    Register("points_done", _I, 5, 1, "R", "probe points taken in the current cycle"),
    Register("boom_clear", _I, 6, 1, "R", "1 = boom parked, clear of the truck and the deck"),
))

GATEIO = DeviceMap("gateio", "Gate I/O module", (
    Register("entry_barrier_open", _C, 0, 1, "RW", "1 = raise the entry barrier"),
    Register("plant_barrier_open", _C, 1, 1, "RW", "1 = raise the exit barrier to the plant"),
    Register("return_barrier_open", _C, 2, 1, "RW", "1 = raise the return (rejected) barrier"),
    Register("entry_light_red", _C, 3, 1, "RW", "entry traffic light, red lamp"),
    Register("entry_light_green", _C, 4, 1, "RW", "entry traffic light, green lamp"),
    Register("exit_light_red", _C, 5, 1, "RW", "exit traffic light, red lamp"),
    Register("exit_light_green", _C, 6, 1, "RW", "exit traffic light, green lamp"),
    Register("front_grating_blocked", _D, 0, 1, "R",
             "1 = front light grating interrupted (truck overhangs the front)"),
    Register("rear_grating_blocked", _D, 1, 1, "R",
             "1 = rear light grating interrupted (truck overhangs the rear)"),
    Register("deck_loop_occupied", _D, 2, 1, "R",
             "1 = vehicle over the deck loop; on deck = this and both gratings clear"),
    Register("entry_loop_occupied", _D, 3, 1, "R", "1 = vehicle waiting at the entry"),
    Register("exit_loop_occupied", _D, 4, 1, "R", "1 = vehicle over the exit loop"),
    Register("driver_confirm", _D, 5, 1, "R",
             "1 = kiosk pushbutton held: driver out of the cab and in the safe zone"),
    # Limit switches: an arm is where it was told to be only when its switch says so.
    Register("entry_barrier_down", _D, 6, 1, "R", "1 = entry arm at its closed (down) limit"),
    Register("entry_barrier_up", _D, 7, 1, "R", "1 = entry arm at its open (up) limit"),
    Register("plant_barrier_down", _D, 8, 1, "R", "1 = plant arm at its closed (down) limit"),
    Register("plant_barrier_up", _D, 9, 1, "R", "1 = plant arm at its open (up) limit"),
    Register("return_barrier_down", _D, 10, 1, "R", "1 = return arm at its closed (down) limit"),
    Register("return_barrier_up", _D, 11, 1, "R", "1 = return arm at its open (up) limit"),
    Register("zone_intrusion", _D, 12, 1, "R",
             "1 = safety light curtain around the deck and sampler broken (a person in the zone)"),
    Register("heartbeat", _I, 0, 1, "R", "+1 every 100 ms while the module runs, wraps at 65535"),
))

DEVICES: tuple[DeviceMap, ...] = (SAMPLER, GATEIO)


def render_markdown(devices: Sequence[DeviceMap] = DEVICES) -> str:
    """The register map as Markdown, one table per device, for the README."""
    lines = ["Addresses are 0-based PDU addresses; 32-bit values are two registers, "
             "high word first. Each device is its own Modbus TCP server (unit id 1 "
             "by default)."]
    order = {t: i for i, t in enumerate(Table)}
    for dev in devices:
        lines += ["", f"### {dev.title} (`{dev.device}`)", "",
                  "| Table | Address | Count | Name | Access | Description |",
                  "|---|---|---|---|---|---|"]
        for reg in sorted(dev.registers, key=lambda r: (order[r.table], r.address)):
            addr = str(reg.address) if reg.count == 1 else f"{reg.address}-{reg.end - 1}"
            lines.append(f"| {reg.table} | {addr} | {reg.count} | `{reg.name}` "
                         f"| {reg.access} | {reg.description} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_markdown(), end="")
