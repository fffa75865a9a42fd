"""The simulated plant: trucks drive over the deck, the indicator sees their weight, the gratings
and loops see their position, the camera sees their load.

It plays `TruckScenario`s against the device simulators (indicator, gate I/O module, camera).
It never talks to the gate directly except through those devices and the identification
callback (the RFID reader / plate camera of a real site).
"""
from __future__ import annotations

import asyncio
import logging
import random
import threading
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Protocol

import numpy as np

from hardware.modbus.gateio import BarrierName
from hardware.sim.clock import SimClock
from hardware.sim.layout import LaneLayout
from hardware.sim.trucks import TruckScenario

log = logging.getLogger(__name__)
DeckShow = Callable[[TruckScenario | None, bool], None]   # (truck on the deck or None, loaded)
MIN_POLL_WALL_S = 0.002    # the plant looks at barriers at most every 2 ms of wall time
MIN_PRESS_WALL_S = 0.03    # a button press lasts long enough for the lane to see it
# A driver's patience, in wall seconds at least: on a fast clock a CPU hiccup of the shared
# machine must not read as a gate that never let the truck in (or out). 0.5 s was too short
# under stress-ng --cpu 2 for a truck waiting while a crashed card reader was restarted.
MIN_PATIENCE_WALL_S = 3.0
MIN_ROUTE_PATIENCE_WALL_S = 10.0


class GateIOSim(Protocol):
    async def set_inputs(self, **inputs: bool) -> None: ...
    def arm_up(self, name: BarrierName) -> bool: ...


_ROUTES: tuple[BarrierName, ...] = ("plant", "return")  # the arms a truck leaves the deck by


class CameraSim(Protocol):
    def present(self, images: list[np.ndarray]) -> None: ...


# ---- fault injection (tests/faults): where a truck is when the hook runs ------------------
# "admitted"  entry barrier seen open          "positioned" settled wholly on the deck
# "presented" its sample photos on the camera  "left"       driven off the deck
# Weigh-out passes report the same steps with an "_out" suffix. The hook must not block.
StepHook = Callable[[int, TruckScenario, str], Awaitable[None]]


@dataclass(frozen=True)
class PlantTiming:
    """Simulated seconds for what a truck does off the deck (on it, its length and speed)."""
    unload_s: float = 25.0
    travel_s: float = 10.0
    announce_every_s: float = 2.0
    give_up_after_s: float = 30.0
    # Stuck on the deck with no route barrier ever opening (a lane that stays down): staff
    # back the truck off. Longer than any inspection the gate may legitimately run.
    route_give_up_s: float = 600.0
    # One weighing (a gate with weighing.stored_tare_exit): a truck let into the plant leaves
    # from there after unloading, it does not come back over the scale.
    one_weighing: bool = False


@dataclass
class Deck:
    """What is physically on the weighbridge now. Read by the indicator thread, so locked."""
    weight_kg: float = 0.0
    moving: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class OnDeck:
    """The truck now on the lane's deck section, where it is, and what it weighs."""
    truck: TruckScenario
    mass_kg: int
    front_m: float


class Plant:
    def __init__(self, clock: SimClock, gateio: GateIOSim, camera: CameraSim,
                 identify: Callable[[str], None], images_for: Callable[[str], list[np.ndarray]],
                 timing: PlantTiming = PlantTiming(), seed: int = 1,
                 on_step: StepHook | None = None, layout: LaneLayout = LaneLayout(),
                 deck_views: DeckShow | None = None) -> None:
        self.clock = clock
        self.gateio = gateio
        self.camera = camera
        self.identify = identify
        self.images_for = images_for
        self.timing = timing
        self.layout = layout
        self.deck = Deck()
        self.current: OnDeck | None = None   # the truck between the entry and the exit arms
        self._rng = random.Random(seed)
        self._noise = random.Random(seed + 1)
        self._entry = asyncio.Lock()   # one truck on the deck at a time; FIFO
        self.finished: list[str] = []
        self.gave_up: list[str] = []
        self.on_step = on_step          # fault injection hook (tests/faults)
        self.deck_views = deck_views    # the deck evidence cameras' pictures (hardware.sim.deck_views)
        self.io_offline = False         # set while a fault has the I/O module's server down
        self._index: dict[str, int] = {}
        self.queued = 0                 # trucks arrived and not yet through their first pass

    # ---- the indicator's view -------------------------------------------------------------

    def weight_now(self) -> tuple[int, bool]:
        """Gross on the deck (kg, with a little vibration) and whether anything moves on it."""
        with self.deck.lock:
            weight, moving = self.deck.weight_kg, self.deck.moving
        jitter = self._noise.uniform(-4, 4) if weight > 0 else 0.0
        return int(round(weight + jitter)), moving

    def _set_deck(self, weight: float, moving: bool) -> None:
        with self.deck.lock:
            self.deck.weight_kg, self.deck.moving = weight, moving

    # ---- running trucks -------------------------------------------------------------------

    async def run(self, trucks: list[TruckScenario], arrival_gap_s: float = 15.0,
                  max_queue: int | None = None) -> None:
        """All trucks, arriving `arrival_gap_s` apart; returns when every one has left.
        `max_queue`: the next truck arrives only once fewer than this many wait for their first
        pass (a soak keeps the deck busy without an ever-growing queue)."""
        await self._io(front_blocked=False, rear_blocked=False, deck_occupied=False,
                       entry_loop=False, exit_loop=False)
        tasks: set[asyncio.Task[None]] = set()
        failures: list[BaseException] = []

        def settled(task: asyncio.Task[None]) -> None:
            tasks.discard(task)   # finished trucks are not kept: memory stays flat in a soak
            if not task.cancelled() and task.exception() is not None:
                failures.append(task.exception())  # type: ignore[arg-type]

        for i, truck in enumerate(trucks):
            self._index[truck.plate] = i
            self.queued += 1
            task = asyncio.create_task(self._truck(truck), name=f"truck-{truck.plate}")
            tasks.add(task)
            task.add_done_callback(settled)
            if i < len(trucks) - 1:
                await self.clock.sleep(arrival_gap_s)
                while max_queue is not None and self.queued >= max_queue:
                    await self.clock.sleep(self._poll_s)
        try:
            while tasks:
                await asyncio.wait(set(tasks))
        finally:
            for task in list(tasks):
                task.cancel()
        if failures:
            raise failures[0]

    async def _truck(self, truck: TruckScenario) -> None:
        loaded = truck.tare_kg + truck.load_kg
        try:
            route = await self._pass(truck, loaded, first=True)
        finally:
            self.queued -= 1
        if route is None:
            self.gave_up.append(truck.plate)
            return
        if route == "plant":
            await self.clock.sleep(self.timing.unload_s)
            if self.timing.one_weighing:
                self.finished.append(truck.plate)
                return
            remaining = truck.tare_kg
        else:
            await self.clock.sleep(self.timing.travel_s)  # sent back: goes round with its load
            remaining = loaded
        if await self._pass(truck, remaining, first=False) is None:
            self.gave_up.append(truck.plate)
            return
        self.finished.append(truck.plate)

    async def _pass(self, truck: TruckScenario, mass_kg: int, first: bool) -> str | None:
        """Queue, be admitted, drive on, wait for a route barrier, drive off. Returns the route."""
        suffix = "" if first else "_out"
        async with self._entry:
            if not await self._announce_until_admitted(truck.plate):
                return None
            await self._at(truck, "admitted" + suffix)
            # The deck cameras see the truck as it rolls on: its pictures are there before any weight.
            await self._show_deck(truck, mass_kg > truck.tare_kg)
            await self._drive_on(truck, mass_kg)
            await self._at(truck, "positioned" + suffix)
            if first:
                # Rendering and writing the photos is CPU work: off the event loop, which the
                # gate shares.
                images = await asyncio.to_thread(self.images_for, truck.load_label)
                await asyncio.to_thread(self.camera.present, images)
                await self._at(truck, "presented")
            route = await self._wait_route(press_confirm=first and truck.behaviour != "stays_in_cab")
            await self._drive_off(mass_kg, forward=route is not None)
            await self._show_deck(None, False)
            await self._at(truck, "left" + suffix)
            if route is None:
                log.warning("truck %s backed off the deck: no route barrier opened", truck.plate)
            return route

    async def _show_deck(self, truck: TruckScenario | None, loaded: bool) -> None:
        """What the deck cameras see now; drawing and writing is CPU work, off the event loop."""
        if self.deck_views is not None:
            await asyncio.to_thread(self.deck_views, truck, loaded)

    async def _at(self, truck: TruckScenario, step: str) -> None:
        if self.on_step is not None:
            await self.on_step(self._index.get(truck.plate, -1), truck, step)

    async def _io(self, **inputs: bool) -> None:
        """Drive the I/O module's inputs. While a fault has its server down the physical state
        still changes (the simulator keeps it) and is republished when the server returns."""
        try:
            await self.gateio.set_inputs(**inputs)
        except RuntimeError:
            if not self.io_offline:
                raise

    @property
    def _poll_s(self) -> float:
        """Simulated seconds between looks at a barrier: 0.1 s, but never under MIN_POLL_WALL_S
        of wall time, so a fast clock does not turn the plant's waits into busy loops."""
        return max(0.1, self.clock.speed * MIN_POLL_WALL_S)

    async def _announce_until_admitted(self, plate: str) -> bool:
        start = next_announce = self.clock.now()
        patience = max(self.timing.give_up_after_s, self.clock.speed * MIN_PATIENCE_WALL_S)
        while (now := self.clock.now()) - start < patience:
            if now >= next_announce:
                self.identify(plate)
                next_announce = now + self.timing.announce_every_s
            if self.gateio.arm_up("entry"):
                return True
            await self.clock.sleep(self._poll_s)
        log.warning("truck %s gave up waiting at the entry", plate)
        return False

    async def _wait_route(self, press_confirm: bool) -> str | None:
        """Wait on the deck; the driver climbs down and presses the kiosk button now and then
        (from 3 s on, every 10 s, held for half a second, or for a few lane ticks at speed)."""
        start, held = self.clock.now(), False
        hold_s = max(0.5, self.clock.speed * MIN_PRESS_WALL_S)
        patience = max(self.timing.route_give_up_s, self.clock.speed * MIN_ROUTE_PATIENCE_WALL_S)
        while (waited := self.clock.now() - start) < patience:
            for route in _ROUTES:
                if self.gateio.arm_up(route):
                    if held:
                        await self._io(driver_confirm=False)  # back in the cab
                    return route
            press = press_confirm and waited >= 3.0 and (waited - 3.0) % 10.0 < hold_s
            if press != held:
                await self._io(driver_confirm=press)
                held = press
            await self.clock.sleep(self._poll_s)
        return None

    async def _move(self, to_m: float, speed_mps: float) -> None:
        """Drive the current truck to `to_m`: the deck, loops and gratings follow its position."""
        here = self.current
        assert here is not None
        while here.front_m != to_m:
            # Sleep first, then move by what the clock says passed: a late wake-up does not
            # slow the truck, a fast one does not teleport it.
            t0 = self.clock.now()
            await self.clock.sleep(self._poll_s)
            step_m = speed_mps * max(self.clock.now() - t0, 0.0)
            gap = to_m - here.front_m
            here.front_m = to_m if abs(gap) <= step_m else here.front_m + step_m * (1 if gap > 0 else -1)
            await self._sense(moving=True)

    async def _sense(self, moving: bool) -> None:
        here = self.current
        assert here is not None
        seen = self.layout.sense(here.front_m, here.truck.length_m)
        self._set_deck(here.mass_kg * seen.on_deck, moving)
        await self._io(entry_loop=seen.entry_loop, rear_blocked=seen.rear_blocked,
                       deck_occupied=seen.deck_occupied, front_blocked=seen.front_blocked,
                       exit_loop=seen.exit_loop)

    async def roll(self, metres: float, speed_mps: float = 0.5) -> bool:
        """The truck on the deck rolls (brake off, engine on): the fault a probe must not meet.
        False when no truck is standing on the deck."""
        here = self.current
        if here is None:
            return False
        await self._move(here.front_m + metres, speed_mps)
        self._set_deck(here.mass_kg * self.layout.sense(here.front_m, here.truck.length_m).on_deck, False)
        return True

    async def _drive_on(self, truck: TruckScenario, mass_kg: int) -> None:
        lay = self.layout
        self.current = OnDeck(truck, mass_kg, lay.wait_front_m)
        if truck.behaviour == "short":
            # Stops with its tail over the entry edge: steady weight, but the gate must not take it.
            await self._move(truck.length_m - 1.5, truck.speed_mps)
            await self._sense(moving=False)
            await self.clock.sleep(6.0)
        await self._move(lay.parked_front(truck.length_m), truck.speed_mps)
        if truck.behaviour == "creep":
            for _ in range(8):
                self._set_deck(mass_kg + self._rng.uniform(-150, 150), True)
                await self.clock.sleep(0.5)
        await self._sense(moving=False)

    async def _drive_off(self, mass_kg: int, forward: bool = True) -> None:
        """Out through the exit arm; or, when none ever opened, backed off the way it came."""
        here = self.current
        assert here is not None
        here.mass_kg = mass_kg
        end = self.layout.gone_front(here.truck.length_m) if forward else self.layout.wait_front_m
        await self._move(end, here.truck.speed_mps)
        await self._sense(moving=False)
        self.current = None
