"""SamplerClient against the real sampler simulator over Modbus TCP on 127.0.0.1."""
from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from pymodbus.client import AsyncModbusTcpClient

from hardware.modbus.plan import SamplePlan
from hardware.modbus.registers import SAMPLER, SamplerCommand, SamplerFault, SamplerState
from hardware.modbus.sampler import SampleResult, SamplerClient, SamplerError
from hardware.modbus.simulators import SamplerSimulator
from hardware.sim.clock import SimClock

pytestmark = pytest.mark.timeout(30)  # every test here is seconds; a hang must fail fast

SPEED = 50.0  # 8 s per point in simulated time -> 0.16 s wall
PLAN = SamplePlan.of(40213377, [(900, 400), (2800, 1300), (5100, 2000)], (6000, 2400))
# Generous in wall time (5 s sim = 0.1 s wall at SPEED), tight against a 34 s sim cycle.
HB_TIMEOUT = 5.0


@asynccontextmanager
async def rig(**sim_kw: object) -> AsyncIterator[tuple[SamplerSimulator, SamplerClient, SimClock]]:
    clock = SimClock(SPEED)
    sim = SamplerSimulator(clock, seed=7, **sim_kw)  # type: ignore[arg-type]
    port = await sim.start()
    client = SamplerClient("127.0.0.1", port, timeout=1.0)
    await client.connect()
    try:
        yield sim, client, clock
    finally:
        client.close()
        await sim.stop()
        await asyncio.sleep(0.01)
        stray = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert not stray, f"tasks left behind: {stray}"


async def run(client: SamplerClient, clock: SimClock, timeout_s: float = 120.0) -> SampleResult:
    return await client.run_sample(PLAN, clock=clock, timeout_s=timeout_s,
                                   heartbeat_timeout_s=HB_TIMEOUT, poll_s=0.2)


async def until(pred: Callable[[], bool], wall_s: float = 5.0) -> None:
    async with asyncio.timeout(wall_s):
        while not pred():
            await asyncio.sleep(0.002)


def go(coro: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(coro())  # type: ignore[arg-type]


def test_full_cycle_returns_mass_and_all_points() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            result = await run(client, clock)
            assert result.points_done == 3
            assert result.code == PLAN.code
            assert 3 * 700 <= result.sample_grams <= 3 * 1600
            assert result.duration_s >= 3 * 8.0 + 10.0
            assert sim.plan == PLAN  # the blind code and points reached the PLC
            assert list(sim.commands) == [SamplerCommand.START, SamplerCommand.RESET]
            await until(lambda: sim.state is SamplerState.IDLE)
            again = await run(client, clock)  # acknowledged: ready for the next truck
            assert again.points_done == 3
    go(body)


def test_status_mid_cycle_reports_progress() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            task = asyncio.create_task(run(client, clock))
            await until(lambda: sim.points_done >= 1)
            await asyncio.sleep(0.01)
            status = await client.read_status()
            assert status.state in (SamplerState.RUNNING, SamplerState.UNLOADING)
            assert status.points_done >= 1 and status.sample_grams > 0
            await task
    go(body)


def test_injected_fault_raises_and_stops_the_sampler() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            task = asyncio.create_task(run(client, clock))
            await until(lambda: sim.state is SamplerState.RUNNING)
            sim.inject_fault(SamplerFault.PROBE_BLOCKED)
            with pytest.raises(SamplerError, match="PROBE_BLOCKED") as err:
                await task
            assert err.value.status is not None and err.value.status.fault_code == 2
            assert sim.commands[-1] == SamplerCommand.STOP
    go(body)


def test_frozen_heartbeat_raises_and_stops() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            sim.freeze_heartbeat()
            with pytest.raises(SamplerError, match="heartbeat"):
                await run(client, clock)
            assert sim.commands[-1] == SamplerCommand.STOP
            await until(lambda: sim.state is SamplerState.IDLE)  # the STOP was obeyed
    go(body)


def test_hang_times_out_and_stops() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            sim.hang()
            t0 = clock.now()
            with pytest.raises(SamplerError, match="no DONE within 20"):
                await run(client, clock, timeout_s=20.0)
            assert 20.0 <= clock.now() - t0 < 40.0
            assert sim.commands[-1] == SamplerCommand.STOP
            await until(lambda: sim.state is SamplerState.IDLE)
    go(body)


def test_server_gone_mid_cycle_raises() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            task = asyncio.create_task(run(client, clock))
            await until(lambda: sim.state is SamplerState.RUNNING)
            await sim.stop()
            async with asyncio.timeout(10):
                with pytest.raises(SamplerError):
                    await task
    go(body)


def test_nothing_listening_raises_on_connect_and_on_use() -> None:
    async def body() -> None:
        with socket.socket() as s:  # a port that was free a moment ago
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        client = SamplerClient("127.0.0.1", port, timeout=0.5)
        with pytest.raises(SamplerError, match="cannot connect"):
            await client.connect()
        with pytest.raises(SamplerError):
            await client.read_status()
        client.close()
    go(body)


def test_faulted_sampler_is_not_started_until_reset() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            sim.inject_fault(SamplerFault.EMERGENCY_STOP)
            await asyncio.sleep(0.01)  # a few scans: the fault is published
            with pytest.raises(SamplerError, match="not ready: FAULT"):
                await run(client, clock)
            assert SamplerCommand.START not in sim.commands
            await client.reset()
            await until(lambda: sim.state is SamplerState.IDLE)
            assert (await run(client, clock)).points_done == 3
    go(body)


def test_abort_by_someone_else_is_an_error() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            task = asyncio.create_task(run(client, clock))
            # A point takes 8 s sim: by then our client has surely polled RUNNING.
            await until(lambda: sim.points_done >= 1)
            other = SamplerClient("127.0.0.1", sim.port, timeout=1.0)
            await other.stop()
            other.close()
            with pytest.raises(SamplerError, match="idle before finishing"):
                await task
    go(body)


def test_plc_refuses_an_invalid_plan_written_behind_our_back() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            await client.write_plan(PLAN.code, PLAN.points_mm, PLAN.bed_mm)
            raw = AsyncModbusTcpClient("127.0.0.1", port=sim.port, timeout=1, retries=0)
            assert await raw.connect()
            await raw.write_register(SAMPLER["point_count"].address, 9, device_id=1)
            raw.close()
            await client.start()
            await until(lambda: sim.state is SamplerState.FAULT)
            await asyncio.sleep(0.01)
            status = await client.read_status()
            assert status.state is SamplerState.FAULT
            assert status.fault_code == SamplerFault.PLAN_INVALID
    go(body)


def test_cancelled_cycle_stops_the_sampler() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            task = asyncio.create_task(run(client, clock))
            await until(lambda: sim.state is SamplerState.RUNNING)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert sim.commands[-1] == SamplerCommand.STOP
    go(body)


def test_heartbeat_counts_in_simulated_time() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            first = (await client.read_status()).heartbeat
            await clock.sleep(2.0)
            second = (await client.read_status()).heartbeat
            assert 10 <= second - first <= 40  # ~20 beats of 100 ms, scan jitter allowed
    go(body)


def test_a_broken_interlock_mid_cycle_stops_the_probe_with_its_name() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            broken: list[str] = []
            asked_while_running: list[bool] = []

            async def guard() -> list[str]:
                asked_while_running.append(sim.state is SamplerState.RUNNING)
                return list(broken)

            task = asyncio.create_task(client.run_sample(PLAN, clock=clock, heartbeat_timeout_s=HB_TIMEOUT,
                                                         guard=guard))
            await until(lambda: sim.points_done >= 1)
            broken.append("zone_clear")        # a person walks into the deck zone
            with pytest.raises(SamplerError, match="^interlock:zone_clear$"):
                await task
            assert SamplerCommand.STOP in sim.commands
            await until(lambda: sim.state is SamplerState.IDLE)   # the probe was retracted
            assert sim.points_done < 3 and any(asked_while_running)
    go(body)


def test_a_broken_interlock_before_start_never_starts_the_probe() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            async def guard() -> list[str]:
                return ["barriers_closed"]

            with pytest.raises(SamplerError, match="interlock:barriers_closed"):
                await client.run_sample(PLAN, clock=clock, heartbeat_timeout_s=HB_TIMEOUT, guard=guard)
            assert SamplerCommand.START not in sim.commands
    go(body)
