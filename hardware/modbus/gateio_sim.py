"""The simulated gate I/O module: a real Modbus TCP server holding coils and inputs.

Masters drive the coils (barriers, lamps); the plant simulation drives the inputs
(gratings, loops, the zone curtain) with `set_inputs`. Each barrier arm moves on simulated
time towards its coil (`arm_travel_s` from one limit to the other) and the module reports
its limit switches; an arm can be made to stick. An arm that moves down while a vehicle is
over its loop is recorded in `strikes`: the thing the gate must never cause. The heartbeat
counts every 100 ms of simulated time.
"""
from __future__ import annotations

from hardware.modbus.gateio import BARRIER_COILS, INPUT_BITS, BarrierName, GateInputs
from hardware.modbus.registers import GATEIO, Table
from hardware.modbus.sim_device import ScannedDevice
from hardware.modbus.sim_server import RegisterServer
from hardware.sim.clock import SimClock

KEPT_WRITES = 1000   # coil changes remembered for tests and diagnosis

_HEARTBEAT_S = 0.1
# The loop under each arm: the exit arms (plant, return) share the exit loop.
ARM_LOOP: dict[BarrierName, str] = {"entry": "entry_loop", "plant": "exit_loop", "return": "exit_loop"}
_PLANT_DRIVEN = ("front_blocked", "rear_blocked", "deck_occupied", "entry_loop", "exit_loop",
                 "driver_confirm", "zone_intrusion")


class GateIOSimulator(ScannedDevice):
    """`await start()` returns the bound port; `await stop()` closes socket and scan loop."""

    _scan_name = "gateio-sim-scan"

    def __init__(self, clock: SimClock | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, unit: int = 1, arm_travel_s: float = 2.0) -> None:
        super().__init__()
        self._clock = clock or SimClock()
        self._server = RegisterServer(GATEIO, host=host, port=port, unit=unit,
                                      on_write=self._heard)
        self._coils = {r.name: False for r in GATEIO.in_table(Table.COIL)}
        self._inputs = {name: False for name in _PLANT_DRIVEN}
        self.coil_writes: list[tuple[str, bool]] = []  # every coil change a master made
        self.heartbeat = 0
        self._hb_frozen = False
        self.arm_travel_s = arm_travel_s
        self.arms: dict[BarrierName, float] = {name: 0.0 for name in BARRIER_COILS}  # 0 down, 1 up
        self._stuck: set[BarrierName] = set()
        self._moved_at = self._clock.now()
        self.strikes: list[tuple[BarrierName, float]] = []   # arm coming down onto a vehicle

    async def set_inputs(self, **given: bool | None) -> None:
        """Change the given plant-driven inputs (None = leave as is); masters see them on their
        next read. Limit switches are the module's own, from the arms' positions."""
        unknown = set(given) - set(_PLANT_DRIVEN)
        if unknown:
            raise TypeError(f"not a plant-driven input: {sorted(unknown)}")
        self._inputs |= {k: bool(v) for k, v in given.items() if v is not None}
        await self._publish_inputs()

    async def _on_start(self) -> None:
        await self._publish_inputs()

    async def _publish_inputs(self) -> None:
        if self._hb_frozen:
            return   # a stalled module's scan no longer refreshes its input image
        start, count = GATEIO.span(Table.DISCRETE_INPUT)
        bits = [0] * count
        for field, value in vars(self.inputs).items():
            bits[GATEIO[INPUT_BITS[field]].address - start] = int(value)
        await self._server.write(Table.DISCRETE_INPUT, start, bits)

    @property
    def inputs(self) -> GateInputs:
        limits = {f"{name}_{end}": at for name, pos in self.arms.items()
                  for end, at in (("down", pos <= 0.0), ("up", pos >= 1.0))}
        return GateInputs(**self._inputs, **limits)

    def barrier_open(self, name: BarrierName) -> bool:
        """The coil: what the gate asked for (see `arm_up` for where the arm is)."""
        return self._coils[BARRIER_COILS[name]]

    def arm_up(self, name: BarrierName) -> bool:
        """The arm is fully up: a driver may pass under it."""
        return self.arms[name] >= 1.0

    def stick_arm(self, name: BarrierName, stuck: bool = True) -> None:
        """The arm's drive or brake fails: it stays where it is whatever the coil says."""
        (self._stuck.add if stuck else self._stuck.discard)(name)

    def _move_arms(self, now: float) -> None:
        step = (now - self._moved_at) / self.arm_travel_s
        self._moved_at = now
        for name, pos in self.arms.items():
            target = 1.0 if self._coils[BARRIER_COILS[name]] else 0.0
            if name in self._stuck or pos == target:
                continue
            self.arms[name] = min(pos + step, 1.0) if target > pos else max(pos - step, 0.0)
            if target < pos and self._inputs[ARM_LOOP[name]]:
                self.strikes.append((name, now))
                del self.strikes[:-KEPT_WRITES]

    def coil(self, name: str) -> bool:
        """Any coil by its register name, e.g. `entry_light_green`."""
        return self._coils[name]

    def light(self, side: str) -> str:
        """'red', 'green', 'off', or 'red+green' (a fault a master must never cause)."""
        red, green = self._coils[f"{side}_light_red"], self._coils[f"{side}_light_green"]
        return {(True, False): "red", (False, True): "green",
                (False, False): "off"}.get((red, green), "red+green")

    def freeze_heartbeat(self, frozen: bool = True) -> None:
        """The module's scan stalls: heartbeat and input image stand still (it still answers)."""
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
            self._move_arms(self._clock.now())
            await self._publish_inputs()
            await self._server.write(Table.INPUT, reg.address, [self.heartbeat])
            await self._clock.sleep(_HEARTBEAT_S)
