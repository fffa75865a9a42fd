"""The simulated probe sampler PLC: a real Modbus TCP server running the sampler's cycle.

A scan loop (every 100 ms simulated, like a PLC scan) takes the commands masters wrote,
moves the cycle along on simulated time (RUNNING: one point every `point_s`; UNLOADING:
`unload_s`; then DONE), counts the heartbeat and publishes the input registers. Fault hooks
let tests and the plant scenarios break it the ways real samplers break.
"""
from __future__ import annotations

import asyncio
import random
from collections import deque

from hardware.modbus.plan import SamplePlan, decode_plan
from hardware.modbus.registers import (
    SAMPLER,
    SamplerCommand,
    SamplerFault,
    SamplerState,
    Table,
    u32_to_regs,
)
from hardware.modbus.sim_device import ScannedDevice
from hardware.modbus.sim_server import RegisterServer
from hardware.sim.clock import SimClock

_HEARTBEAT_S = 0.1
_CMD = SAMPLER["command"]


class SamplerSimulator(ScannedDevice):
    """`await start()` returns the bound port; `await stop()` closes socket and scan loop."""

    _scan_name = "sampler-sim-scan"

    def __init__(self, clock: SimClock | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, unit: int = 1, point_s: float = 8.0, unload_s: float = 10.0,
                 grams_per_point: tuple[int, int] = (700, 1600), seed: int | None = None,
                 scan_s: float = 0.1) -> None:
        super().__init__()
        self._clock = clock or SimClock()
        self._server = RegisterServer(SAMPLER, host=host, port=port, unit=unit,
                                      on_write=self._heard)
        self._point_s, self._unload_s, self._scan_s = point_s, unload_s, scan_s
        self._grams = grams_per_point
        self._rng = random.Random(seed)
        self._pending: deque[int] = deque(maxlen=64)  # bounded: a flood drops the oldest
        # The command values masters wrote, in order: the newest 1000, so a soak does not grow.
        self.commands: deque[int] = deque(maxlen=1000)
        # The same with the simulated time each was heard: how soon a STOP came, for tests.
        self.heard: deque[tuple[float, int]] = deque(maxlen=1000)
        self.plan: SamplePlan | None = None  # the plan taken at the last accepted START
        self.state = SamplerState.IDLE
        self.fault_code = 0
        self.points_done = 0
        self.sample_grams = 0
        self.heartbeat = 0
        self._beats = 0
        self._next_at = 0.0  # sim time of the next point, or of the end of unloading
        self._hb_frozen = False
        self._hung = False

    async def _on_start(self) -> None:
        self._beats = int(self._clock.now() / _HEARTBEAT_S)
        await self._publish()


    # Fault hooks -------------------------------------------------------------------------

    def inject_fault(self, code: int = SamplerFault.PROBE_BLOCKED) -> None:
        """The PLC trips: FAULT with `code` until a master writes RESET."""
        if not 1 <= code <= 0xFFFF:
            raise ValueError("fault code must be 1..65535")
        self.state, self.fault_code = SamplerState.FAULT, int(code)

    def freeze_heartbeat(self, frozen: bool = True) -> None:
        """The PLC program stalls: the heartbeat stops counting (registers still answer)."""
        self._hb_frozen = frozen

    def hang(self, hung: bool = True) -> None:
        """The mechanism stalls: a running cycle never finishes; the heartbeat keeps going."""
        self._hung = hung

    # Scan loop ---------------------------------------------------------------------------

    def _heard(self, table: Table, address: int, values: list[int]) -> None:
        if table is Table.HOLDING and address <= _CMD.address < address + len(values):
            cmd = values[_CMD.address - address]
            self.commands.append(cmd)
            self.heard.append((self._clock.now(), cmd))
            self._pending.append(cmd)

    async def _run(self) -> None:
        while True:
            await self._scan()
            await asyncio.sleep(self._clock.wall(self._scan_s))

    async def _scan(self) -> None:
        now = self._clock.now()
        self._beat(now)
        if self._pending:
            while self._pending:
                await self._take(self._pending.popleft(), now)
            await self._server.write(Table.HOLDING, _CMD.address, [SamplerCommand.NONE])
        self._advance(now)
        await self._publish()

    def _beat(self, now: float) -> None:
        beats = int(now / _HEARTBEAT_S)
        if not self._hb_frozen:
            self.heartbeat = (self.heartbeat + beats - self._beats) & 0xFFFF
        self._beats = beats

    async def _take(self, cmd: int, now: float) -> None:
        busy = self.state in (SamplerState.RUNNING, SamplerState.UNLOADING)
        if cmd == SamplerCommand.START and self.state is SamplerState.IDLE:
            await self._begin(now)
        elif cmd == SamplerCommand.STOP and busy:
            self.state = SamplerState.IDLE  # probe retracted; what was taken stays counted
        elif cmd == SamplerCommand.RESET and not busy:
            self.state, self.fault_code = SamplerState.IDLE, 0
            self.points_done = self.sample_grams = 0
        # Anything else (START while busy or faulted, unknown values) is ignored, as a PLC
        # would: the master notices because the state does not move.

    async def _begin(self, now: float) -> None:
        hdr, pts = SAMPLER["sample_code"], SAMPLER["points_xy_mm"]
        header = await self._server.read(Table.HOLDING, hdr.address, 5)
        points = await self._server.read(Table.HOLDING, pts.address, pts.count)
        try:
            self.plan = decode_plan(header, points)
        except ValueError:
            self.state, self.fault_code = SamplerState.FAULT, int(SamplerFault.PLAN_INVALID)
            return
        self.state, self.fault_code = SamplerState.RUNNING, 0
        self.points_done = self.sample_grams = 0
        self._next_at = now + self._point_s

    def _advance(self, now: float) -> None:
        if self._hung or self.plan is None:
            return
        if self.state is SamplerState.RUNNING:
            n = len(self.plan.points_mm)
            while self.points_done < n and now >= self._next_at:
                self.points_done += 1
                self.sample_grams += self._rng.randint(*self._grams)
                self._next_at += self._point_s
            if self.points_done == n:
                self.state, self._next_at = SamplerState.UNLOADING, now + self._unload_s
        elif self.state is SamplerState.UNLOADING and now >= self._next_at:
            self.state = SamplerState.DONE

    async def _publish(self) -> None:
        image = {"status": [int(self.state)], "fault_code": [self.fault_code],
                 "heartbeat": [self.heartbeat], "sample_grams": u32_to_regs(self.sample_grams),
                 "points_done": [self.points_done],
                 # The boom is over the truck only while a cycle runs.
                 "boom_clear": [int(self.state not in (SamplerState.RUNNING, SamplerState.UNLOADING))]}
        # One block write, so a master never reads a half-updated status.
        start, count = SAMPLER.span(Table.INPUT)
        regs = [0] * count
        for reg in SAMPLER.in_table(Table.INPUT):
            regs[reg.address - start:reg.end - start] = image[reg.name]
        await self._server.write(Table.INPUT, start, regs)
