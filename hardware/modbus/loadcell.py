"""Client for a raw load-cell transmitter (an ADC front end that reports counts over Modbus).

Register map (0-based input registers; 32-bit values high word first, like the other devices):

| Table | Address | Count | Name | Description |
|---|---|---|---|---|
| input | 0-1 | 2 | `raw_counts` | ADC counts, signed int32 (two's complement) |
| input | 2 | 1 | `status` | bit 0 saturated (input beyond the ADC range), bit 1 ADC fault |
| input | 3 | 1 | `sample_seq` | +1 per new conversion, wraps at 65535 |

The calibration reads counts only; it never writes the transmitter (its coefficients live in
the gate's calibration file, under the calibration event counter).
"""
from __future__ import annotations

from dataclasses import dataclass

from hardware.modbus.link import ModbusLink
from hardware.modbus.registers import DeviceMap, Register, Table, regs_to_u32

LOADCELL = DeviceMap("loadcell", "Load-cell transmitter", (
    Register("raw_counts", Table.INPUT, 0, 2, "R", "ADC counts, signed int32, high word first"),
    Register("status", Table.INPUT, 2, 1, "R", "bit 0 saturated, bit 1 ADC fault"),
    Register("sample_seq", Table.INPUT, 3, 1, "R", "+1 per conversion, wraps at 65535"),
))
STATUS_SATURATED = 0x1
STATUS_ADC_FAULT = 0x2


class LoadCellError(Exception):
    """The transmitter did not answer, refused, or reported a fault."""


def to_int32(value: int) -> int:
    return value - (1 << 32) if value & 0x8000_0000 else value


def from_int32(value: int) -> int:
    if not -(1 << 31) <= value < (1 << 31):
        raise ValueError(f"{value} does not fit in int32")
    return value & 0xFFFF_FFFF


@dataclass(frozen=True)
class RawSample:
    counts: int
    status: int
    seq: int

    @property
    def saturated(self) -> bool:
        return bool(self.status & STATUS_SATURATED)

    @property
    def fault(self) -> bool:
        return bool(self.status & STATUS_ADC_FAULT)


class LoadCellClient:
    """Async Modbus client for one transmitter; `timeout` bounds each request (s)."""

    def __init__(self, host: str, port: int, unit: int = 1, timeout: float = 2.0) -> None:
        self._link = ModbusLink(host, port, unit=unit, timeout_s=timeout,
                                error=LoadCellError, name="load-cell transmitter")
        self.where = f"{host}:{port} unit {unit}"

    async def connect(self) -> None:
        await self._link.connect()

    def close(self) -> None:
        self._link.close()

    async def read(self) -> RawSample:
        start, count = LOADCELL.span(Table.INPUT)
        values = LOADCELL.unpack(Table.INPUT, start, await self._link.read(Table.INPUT, start, count))
        sample = RawSample(to_int32(regs_to_u32(values["raw_counts"])), values["status"][0],
                           values["sample_seq"][0])
        if sample.fault:
            raise LoadCellError(f"load-cell transmitter at {self.where}: ADC fault")
        return sample
