"""A simulated load-cell transmitter: a real Modbus TCP server serving raw ADC counts.

counts = zero_counts + load * counts_per_kg + bow * (load / Max)^2 (non-linearity) + noise,
clipped to a 24-bit ADC with the saturation flag set at the rails. The test "places" loads
with `set_load`; a scan task publishes a fresh noisy conversion every `period` seconds.
"""
from __future__ import annotations

import asyncio
import random

from hardware.modbus.loadcell import LOADCELL, STATUS_SATURATED, from_int32
from hardware.modbus.registers import Table, u32_to_regs
from hardware.modbus.sim_device import ScannedDevice
from hardware.modbus.sim_server import RegisterServer

ADC_MIN, ADC_MAX = -(1 << 23), (1 << 23) - 1


class LoadCellSimulator(ScannedDevice):
    _scan_name = "loadcell-sim"

    def __init__(self, *, zero_counts: int = 120_000, counts_per_kg: float = 40.0,
                 bow_counts: float = 0.0, max_kg: float = 60_000.0, noise: int = 3,
                 period: float = 0.01, host: str = "127.0.0.1", port: int = 0, unit: int = 1,
                 seed: int = 0) -> None:
        super().__init__()
        self.zero_counts, self.counts_per_kg = zero_counts, counts_per_kg
        self.bow_counts, self.max_kg, self.noise, self.period = bow_counts, max_kg, noise, period
        self.load_kg = 0.0
        self._rng = random.Random(seed)
        self._seq = 0
        self._server = RegisterServer(LOADCELL, host=host, port=port, unit=unit)

    def set_load(self, kg: float) -> None:
        self.load_kg = kg

    def ideal_counts(self, kg: float) -> float:
        return self.zero_counts + kg * self.counts_per_kg + self.bow_counts * (kg / self.max_kg) ** 2

    async def _on_start(self) -> None:
        await self._publish()


    async def _publish(self) -> None:
        raw = round(self.ideal_counts(self.load_kg)) + self._rng.randint(-self.noise, self.noise)
        status = 0
        if raw <= ADC_MIN or raw >= ADC_MAX:
            raw, status = min(max(raw, ADC_MIN), ADC_MAX), STATUS_SATURATED
        self._seq = (self._seq + 1) & 0xFFFF
        await self._server.write(Table.INPUT, 0, [*u32_to_regs(from_int32(raw)), status, self._seq])

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.period)
            await self._publish()
