"""Client for the probe sampler PLC: send a plan, run a cycle, watch it, stop it on any doubt.

Handshake (register map in `registers.py`): the host writes the plan while the PLC is IDLE,
writes START, the PLC goes RUNNING -> UNLOADING -> DONE; the host reads the result and writes
RESET, which returns the PLC to IDLE for the next truck. Any fault, timeout, lost heartbeat
or connection error ends in STOP (best effort) and `SamplerError`: never a silent success.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from hardware.modbus.heartbeat import HeartbeatWatch
from hardware.modbus.link import ModbusLink
from hardware.modbus.plan import SamplePlan, header_registers, point_registers
from hardware.modbus.registers import (
    SAMPLER,
    SamplerCommand,
    SamplerFault,
    SamplerState,
    Table,
    regs_to_u32,
)
from hardware.clock import Clock

log = logging.getLogger(__name__)


class SamplerError(Exception):
    """The sampler did not deliver a sample: fault, timeout, lost heartbeat or lost link."""

    def __init__(self, reason: str, status: SamplerStatus | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status  # last status read, when there was one


@dataclass(frozen=True)
class SamplerStatus:
    state: SamplerState
    fault_code: int
    heartbeat: int
    sample_grams: int
    points_done: int
    boom_clear: bool = False

    @property
    def fault_name(self) -> str:
        try:
            return SamplerFault(self.fault_code).name
        except ValueError:
            return f"vendor fault {self.fault_code}"


@dataclass(frozen=True)
class SampleResult:
    code: int
    sample_grams: int
    points_done: int
    duration_s: float  # simulated seconds from START to DONE


class SamplerClient:
    """Async Modbus client for the sampler PLC. `timeout` bounds each request (wall seconds)."""

    def __init__(self, host: str, port: int, unit: int = 1, timeout: float = 2.0) -> None:
        self._link = ModbusLink(host, port, unit=unit, timeout_s=timeout,
                                error=SamplerError, name="sampler")

    async def connect(self) -> None:
        await self._link.connect()

    def close(self) -> None:
        self._link.close()

    async def write_plan(self, code: int, points_mm: Sequence[tuple[int, int]],
                         bed_mm: tuple[int, int]) -> None:
        """Write and read back the plan. ValueError if the plan is invalid (nothing is sent)."""
        plan = SamplePlan.of(code, points_mm, bed_mm)
        head, pts = SAMPLER["sample_code"], SAMPLER["points_xy_mm"]
        # Points first, header last: the point count only ever describes points already written.
        await self._link.write(Table.HOLDING, pts.address, point_registers(plan))
        await self._link.write(Table.HOLDING, head.address, header_registers(plan))
        back_pts = await self._link.read(Table.HOLDING, pts.address, pts.count)
        back_head = await self._link.read(Table.HOLDING, head.address, 5)
        if back_pts != point_registers(plan) or back_head != header_registers(plan):
            raise SamplerError("plan read back differs from the plan written")

    async def start(self) -> None:
        await self._command(SamplerCommand.START)

    async def stop(self) -> None:
        await self._command(SamplerCommand.STOP)

    async def reset(self) -> None:
        await self._command(SamplerCommand.RESET)

    async def read_status(self) -> SamplerStatus:
        start, count = SAMPLER.span(Table.INPUT)
        regs = SAMPLER.unpack(Table.INPUT, start, await self._link.read(Table.INPUT, start, count))
        try:
            state = SamplerState(regs["status"][0])
        except ValueError as exc:
            raise SamplerError(f"sampler reports unknown state {regs['status'][0]}") from exc
        return SamplerStatus(state=state, fault_code=regs["fault_code"][0],
                             heartbeat=regs["heartbeat"][0],
                             sample_grams=regs_to_u32(regs["sample_grams"]),
                             points_done=regs["points_done"][0],
                             boom_clear=bool(regs["boom_clear"][0]))

    async def run_sample(self, plan: SamplePlan, *, clock: Clock, timeout_s: float = 600.0,
                         heartbeat_timeout_s: float = 2.0, ack_timeout_s: float = 5.0,
                         poll_s: float = 0.2, guard: Guard | None = None,
                         progress: Callable[[int, int], None] | None = None) -> SampleResult:
        """One full cycle. All durations are simulated seconds on `clock`.

        Raises SamplerError (after telling the sampler to stop) on a fault, on no DONE within
        `timeout_s`, on a heartbeat unchanged for `heartbeat_timeout_s`, on a START not taken
        within `ack_timeout_s`, and on any Modbus or connection error. `guard` is asked
        before START and at every poll of the cycle; any interlock it names as broken stops
        the probe (SamplerError "interlock:<names>"). `progress(done, n)` is told the points
        done whenever the count the PLC reports changes (for the driver's kiosk).
        """
        try:
            await self._wait_ready(clock, ack_timeout_s, poll_s)
            await self.write_plan(plan.code, plan.points_mm, plan.bed_mm)
            await _hold(guard)
            await self.start()
            watch = _CycleWatch(plan, clock, timeout_s, heartbeat_timeout_s, ack_timeout_s)
            done = 0
            while True:
                status = await self.read_status()
                if progress is not None and status.points_done != done:
                    done = status.points_done
                    progress(min(done, len(plan.points_mm)), len(plan.points_mm))
                # The interlocks first: a probe the lane stopped for a break reads as idle, and
                # must end as that break; nor is a DONE taken while one is broken.
                await _hold(guard)
                if (result := watch.check(status)) is not None:
                    break
                await clock.sleep(poll_s)
            await self.reset()  # acknowledge: the PLC may now take the next truck
            return result
        except BaseException as exc:  # incl. CancelledError: the probe must not keep going
            await self._stop_quietly(exc)
            raise

    async def _wait_ready(self, clock: Clock, timeout_s: float, poll_s: float) -> None:
        """Wait for IDLE: a RESET we just wrote takes one PLC scan to show. FAULT fails now."""
        deadline = clock.now() + timeout_s
        while (status := await self.read_status()).state is not SamplerState.IDLE:
            if status.state is SamplerState.FAULT or clock.now() > deadline:
                raise SamplerError(f"sampler not ready: {status.state.name}"
                                   f" ({status.fault_name})", status)
            await clock.sleep(poll_s)

    async def _command(self, cmd: SamplerCommand) -> None:
        await self._link.write(Table.HOLDING, SAMPLER["command"].address, [int(cmd)])

    async def _stop_quietly(self, cause: BaseException) -> None:
        log.warning("sampler cycle failed (%r); sending STOP", cause)
        # Best effort and bounded: the original error is what the caller must see.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.stop(), self._link.timeout_s * 3)


# Names the interlocks that are broken right now; empty while the probe may move.
Guard = Callable[[], Awaitable[list[str]]]


async def _hold(guard: Guard | None) -> None:
    broken = await guard() if guard is not None else []
    if broken:
        raise SamplerError("interlock:" + ",".join(broken))


class _CycleWatch:
    """Judges each status poll of a running cycle: None = keep polling, else the result."""

    def __init__(self, plan: SamplePlan, clock: Clock, timeout_s: float,
                 heartbeat_timeout_s: float, ack_timeout_s: float) -> None:
        self._plan, self._clock = plan, clock
        self._t0 = clock.now()
        self._deadline = self._t0 + timeout_s
        self._ack_timeout = ack_timeout_s
        self._hb = HeartbeatWatch(heartbeat_timeout_s, self._t0)
        self._started = False

    def check(self, st: SamplerStatus) -> SampleResult | None:
        now = self._clock.now()
        self._check_heartbeat(st, now)
        if st.state is SamplerState.FAULT:
            raise SamplerError(f"sampler fault {st.fault_code} ({st.fault_name})", st)
        if st.state is SamplerState.DONE:
            return self._result(st, now)
        if st.state in (SamplerState.RUNNING, SamplerState.UNLOADING):
            self._started = True
        elif self._started:  # back to IDLE without DONE: aborted under us
            raise SamplerError("sampler returned to idle before finishing", st)
        elif now - self._t0 > self._ack_timeout:
            raise SamplerError(f"START not taken within {self._ack_timeout} s", st)
        if now > self._deadline:
            raise SamplerError(f"no DONE within {self._deadline - self._t0} s "
                               f"(state {st.state.name}, {st.points_done} points)", st)
        return None

    def _check_heartbeat(self, st: SamplerStatus, now: float) -> None:
        self._hb.see(st.heartbeat, now)
        still = self._hb.stale_for(now)
        if still is not None:
            raise SamplerError(f"heartbeat stuck at {st.heartbeat} for {still:.1f} s", st)

    def _result(self, st: SamplerStatus, now: float) -> SampleResult:
        n = len(self._plan.points_mm)
        if st.points_done != n:
            raise SamplerError(f"DONE after {st.points_done} of {n} points", st)
        if st.sample_grams <= 0:
            raise SamplerError("DONE with an empty sample container", st)
        return SampleResult(code=self._plan.code, sample_grams=st.sample_grams,
                            points_done=st.points_done, duration_s=now - self._t0)
