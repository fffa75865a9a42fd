"""GateIOClient against the real gate I/O simulator over Modbus TCP on 127.0.0.1."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from hardware.modbus.gateio import ArmLimits, GateInputs, GateIOClient, GateIOError
from hardware.modbus.simulators import GateIOSimulator
from hardware.sim.clock import SimClock

pytestmark = pytest.mark.timeout(30)  # every test here is seconds; a hang must fail fast


@asynccontextmanager
async def rig() -> AsyncIterator[tuple[GateIOSimulator, GateIOClient, SimClock]]:
    clock = SimClock(50.0)
    sim = GateIOSimulator(clock)
    port = await sim.start()
    client = GateIOClient("127.0.0.1", port, timeout=1.0)
    await client.connect()
    try:
        yield sim, client, clock
    finally:
        client.close()
        await sim.stop()
        await asyncio.sleep(0.01)
        stray = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert not stray, f"tasks left behind: {stray}"


def go(coro: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(coro())  # type: ignore[arg-type]


@pytest.mark.parametrize("barrier", ["entry", "plant", "return"])
def test_barrier_coil_round_trip(barrier: str) -> None:
    async def body() -> None:
        async with rig() as (sim, client, _):
            assert await client.all_closed()
            await client.set_barrier(barrier, True)  # type: ignore[arg-type]
            assert sim.barrier_open(barrier)  # type: ignore[arg-type]
            others = {"entry", "plant", "return"} - {barrier}
            assert not any(sim.barrier_open(o) for o in others)  # type: ignore[arg-type]
            assert (await client.read_barriers())[barrier] is True  # type: ignore[index]
            assert not await client.all_closed()
            await client.set_barrier(barrier, False)  # type: ignore[arg-type]
            assert not sim.barrier_open(barrier)  # type: ignore[arg-type]
            # The coil is off at once; "closed" waits for the arm's down limit switch.
            await until(client.all_closed)
    go(body)


async def until(check: Callable[[], Awaitable[bool]], reads: int = 2000) -> None:
    """Poll the module until `check` holds: waits for the arm, not for a guessed time."""
    for _ in range(reads):
        if await check():
            return
        await asyncio.sleep(0.002)
    raise AssertionError("the module never reached the expected state")


def test_arm_limits_follow_the_coil_over_its_travel_time() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            assert (await client.read_inputs()).arm("plant") == ArmLimits(down=True, up=False)
            t0 = clock.now()
            await client.set_barrier("plant", True)

            async def up() -> bool:
                return (await client.read_inputs()).arm("plant").up
            await until(up)
            assert clock.now() - t0 >= sim.arm_travel_s * 0.9   # it took its travel, not a jump
            assert sim.arm_up("plant") and not await client.all_closed()
    go(body)


def test_a_stuck_arm_stays_whatever_the_coil_says() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            sim.stick_arm("entry")
            await client.set_barrier("entry", True)
            await clock.sleep(3 * sim.arm_travel_s)
            assert sim.barrier_open("entry")
            assert (await client.read_inputs()).arm("entry") == ArmLimits(down=True, up=False)
            sim.stick_arm("entry", False)

            async def up() -> bool:
                return (await client.read_inputs()).entry_up
            await until(up)
    go(body)


def test_an_arm_lowered_onto_a_vehicle_is_recorded_as_a_strike() -> None:
    async def body() -> None:
        async with rig() as (sim, client, _):
            await client.set_barrier("return", True)
            await until(lambda: _true(sim.arm_up("return")))
            assert sim.strikes == []
            await sim.set_inputs(exit_loop=True)
            await client.set_barrier("return", False)
            await until(lambda: _true(bool(sim.strikes)))
            assert sim.strikes[0][0] == "return"
    go(body)


async def _true(value: bool) -> bool:
    return value


def test_a_frozen_module_stops_refreshing_its_inputs() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            sim.freeze_heartbeat()
            await sim.set_inputs(zone_intrusion=True)
            assert not (await client.read_inputs()).zone_intrusion   # stale image
            sim.freeze_heartbeat(False)
            await sim.set_inputs()
            assert (await client.read_inputs()).zone_intrusion
    go(body)


def test_lights_and_safe_state() -> None:
    async def body() -> None:
        async with rig() as (sim, client, _):
            await client.set_lights(entry="green", exit="red")
            assert (sim.light("entry"), sim.light("exit")) == ("green", "red")
            await client.set_lights(exit="green")  # entry left as it was
            assert (sim.light("entry"), sim.light("exit")) == ("green", "green")
            await client.set_lights(entry="off")
            assert sim.light("entry") == "off"
            await client.set_barrier("plant", True)
            await client.close_all()
            await until(client.all_closed)
            assert (sim.light("entry"), sim.light("exit")) == ("red", "red")
            assert ("plant_barrier_open", False) in sim.coil_writes
    go(body)


def test_inputs_set_by_the_sim_are_read_by_the_client() -> None:
    async def body() -> None:
        async with rig() as (sim, client, _):
            assert await client.read_inputs() == GateInputs(False, False, False, False, False)
            await sim.set_inputs(entry_loop=True)
            assert (await client.read_inputs()).entry_loop
            await sim.set_inputs(entry_loop=False, deck_occupied=True, rear_blocked=True)
            seen = await client.read_inputs()
            assert seen == GateInputs(front_blocked=False, rear_blocked=True,
                                      deck_occupied=True, entry_loop=False, exit_loop=False)
            assert not seen.truck_in_position  # overhangs the rear grating
            await sim.set_inputs(rear_blocked=False)
            assert (await client.read_inputs()).truck_in_position
            await sim.set_inputs(front_blocked=True, exit_loop=True)
            seen = await client.read_inputs()
            assert seen.front_blocked and seen.exit_loop and not seen.truck_in_position
            assert sim.inputs == seen
    go(body)


def test_heartbeat_counts_and_can_freeze() -> None:
    async def body() -> None:
        async with rig() as (sim, client, clock):
            first = await client.read_heartbeat()
            await clock.sleep(2.0)
            assert await client.read_heartbeat() - first >= 10
            sim.freeze_heartbeat()
            await clock.sleep(0.5)
            frozen = await client.read_heartbeat()
            await clock.sleep(2.0)
            assert await client.read_heartbeat() == frozen
    go(body)


def test_module_gone_raises() -> None:
    async def body() -> None:
        async with rig() as (sim, client, _):
            await sim.stop()
            with pytest.raises(GateIOError):
                await client.set_barrier("plant", True)
            with pytest.raises(GateIOError):
                await client.read_inputs()
    go(body)


def test_bad_names_are_refused_before_the_wire() -> None:
    async def body() -> None:
        async with rig() as (sim, client, _):
            with pytest.raises(ValueError):
                await client.set_barrier("side", True)  # type: ignore[arg-type]
            with pytest.raises(ValueError):
                await client.set_lights(entry="blue")  # type: ignore[arg-type]
            assert sim.coil_writes == []
    go(body)


def test_heartbeat_watch_counts_device_time_and_never_outruns_the_host_clock() -> None:
    from hardware.modbus.heartbeat import HeartbeatWatch

    watch = HeartbeatWatch(timeout_s=2.0, now=0.0)
    watch.see(65530, 0.0)
    watch.see(4, 1.0)               # wrapped: 10 counts in 1 s
    assert watch.device_s == 1.0 and watch.stale_for(2.9) is None
    watch.see(0, 1.1)               # the device restarted its count: at most one period passed
    assert abs(watch.device_s - 1.2) < 1e-9
    watch.see(0, 3.2)
    assert watch.stale_for(3.2) is None       # one late read may have met a stale image
    watch.see(0, 3.3)
    assert watch.stale_for(3.3) is not None   # two: unchanged for more than 2 s
    # Unreachable from 3.3 to 400 s; back with the count it had: not frozen, judged from its return.
    watch.unread()
    watch.see(0, 400.0)
    watch.see(0, 401.0)
    assert watch.stale_for(401.0) is None
    watch.see(0, 402.1)
    watch.see(0, 402.2)
    assert watch.stale_for(402.2) is not None
