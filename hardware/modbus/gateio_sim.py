"""The simulated gate I/O module: a real Modbus TCP server holding coils and inputs.

Masters drive the coils (barriers, lamps); the plant simulation drives the inputs
(gratings, loops) with `set_inputs`. The heartbeat counts every 100 ms of simulated time.
"""
from __future__ import annotations


from hardware.modbus.gateio import BARRIER_COILS, BarrierName, GateInputs
from hardware.modbus.registers import GATEIO, Table
from hardware.modbus.sim_device import ScannedDevice
from hardware.modbus.sim_server import RegisterServer
from hardware.sim.clock import SimClock

KEPT_WRITES = 1000   # coil changes remembered for tests and diagnosis

_HEARTBEAT_S = 0.1
_INPUT_BITS = {  # GateInputs field -> discrete input
    "front_blocked": "front_grating_blocked",
    "rear_blocked": "rear_grating_blocked",
    "deck_occupied": "deck_loop_occupied",
    "entry_loop": "entry_loop_occupied",
    "exit_loop": "exit_loop_occupied",
    "driver_confirm": "driver_confirm",
}


class GateIOSimulator(ScannedDevice):
    """`await start()` returns the bound port; `await stop()` closes socket and scan loop."""

    _scan_name = "gateio-sim-scan"

    def __init__(self, clock: SimClock | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, unit: int = 1) -> None:
        super().__init__()
        self._clock = clock or SimClock()
        self._server = RegisterServer(GATEIO, host=host, port=port, unit=unit,
                                      on_write=self._heard)
        self._coils = {r.name: False for r in GATEIO.in_table(Table.COIL)}
        self._inputs = {name: False for name in _INPUT_BITS}
        self.coil_writes: list[tuple[str, bool]] = []  # every coil change a master made
        self.heartbeat = 0
        self._hb_frozen = False


    async def set_inputs(self, *, front_blocked: bool | None = None,
                         rear_blocked: bool | None = None, deck_occupied: bool | None = None,
                         entry_loop: bool | None = None, exit_loop: bool | None = None,
                         driver_confirm: bool | None = None) -> None:
        """Change the given inputs (None = leave as is); masters see them on their next read."""
        given = {"front_blocked": front_blocked, "rear_blocked": rear_blocked,
                 "deck_occupied": deck_occupied, "entry_loop": entry_loop,
                 "exit_loop": exit_loop, "driver_confirm": driver_confirm}
        self._inputs |= {k: bool(v) for k, v in given.items() if v is not None}
        start, count = GATEIO.span(Table.DISCRETE_INPUT)
        bits = [0] * count
        for field, reg_name in _INPUT_BITS.items():
            bits[GATEIO[reg_name].address - start] = int(self._inputs[field])
        await self._server.write(Table.DISCRETE_INPUT, start, bits)

    @property
    def inputs(self) -> GateInputs:
        return GateInputs(**self._inputs)

    def barrier_open(self, name: BarrierName) -> bool:
        return self._coils[BARRIER_COILS[name]]

    def coil(self, name: str) -> bool:
        """Any coil by its register name, e.g. `entry_light_green`."""
        return self._coils[name]

    def light(self, side: str) -> str:
        """'red', 'green', 'off', or 'red+green' (a fault a master must never cause)."""
        red, green = self._coils[f"{side}_light_red"], self._coils[f"{side}_light_green"]
        return {(True, False): "red", (False, True): "green",
                (False, False): "off"}.get((red, green), "red+green")

    def freeze_heartbeat(self, frozen: bool = True) -> None:
        self._hb_frozen = frozen

    def _heard(self, table: Table, address: int, values: list[int]) -> None:
        if table is not Table.COIL:
            return
        by_address = {r.address: r.name for r in GATEIO.in_table(Table.COIL)}
        for offset, value in enumerate(values):
            name = by_address.get(address + offset)
            if name is not None and self._coils[name] != bool(value):
                self._coils[name] = bool(value)
                self.coil_writes.append((name, bool(value)))
                del self.coil_writes[:-KEPT_WRITES]   # a long run keeps only the latest

    async def _run(self) -> None:
        reg = GATEIO["heartbeat"]
        beats = int(self._clock.now() / _HEARTBEAT_S)
        while True:
            now_beats = int(self._clock.now() / _HEARTBEAT_S)
            if not self._hb_frozen:
                self.heartbeat = (self.heartbeat + now_beats - beats) & 0xFFFF
            beats = now_beats
            await self._server.write(Table.INPUT, reg.address, [self.heartbeat])
            await self._clock.sleep(_HEARTBEAT_S)
