"""The simulated Modbus devices, in one import: `from hardware.modbus.simulators import ...`."""
from __future__ import annotations

from hardware.modbus.gateio_sim import GateIOSimulator
from hardware.modbus.sampler_sim import SamplerSimulator

__all__ = ["GateIOSimulator", "SamplerSimulator"]
