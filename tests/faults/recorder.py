"""A demo plugin that sees what the kiosk sees: every lane snapshot the gate publishes, with the
arms the first deck's I/O module had been told to open at that moment."""
from __future__ import annotations

from dataclasses import dataclass, field

from hardware.modbus.gateio import BARRIER_COILS
from hardware.modbus.gateio_sim import GateIOSimulator
from intake.demo.runner import DemoDevices
from intake.lane.status import LaneStatus


@dataclass
class StatusRecorder:
    shown: list[tuple[LaneStatus, frozenset[str]]] = field(default_factory=list)

    @property
    def statuses(self) -> list[LaneStatus]:
        return [status for status, _ in self.shown]

    def attach(self, devices: DemoDevices) -> None:
        hub, io = devices.gate.hub, devices.gateio
        publish = hub.publish

        def recorded(status: LaneStatus) -> None:
            self.shown.append((status, ordered_open(io)))
            publish(status)
        hub.publish = recorded   # type: ignore[method-assign]

    async def on_step(self, index: int, truck: object, step: str) -> None:
        return None

    def cancel(self) -> None:
        return None


def ordered_open(io: GateIOSimulator) -> frozenset[str]:
    """The arms whose open coil was last written on."""
    last: dict[str, bool] = {}
    for coil, value in io.coil_writes:
        last[coil] = value
    return frozenset(arm for arm, coil in BARRIER_COILS.items() if last.get(coil))
