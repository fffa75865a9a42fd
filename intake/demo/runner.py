"""`intake demo`: the simulated plant (indicator on a pseudo-terminal, sampler PLC and I/O module
as Modbus servers, camera from generated images) with the real gate running against it."""
from __future__ import annotations

import asyncio
import json
import logging
import contextlib
from contextlib import AsyncExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Awaitable, Callable, Protocol

import numpy as np

from hardware.camera.simulator import CameraSimulator
from hardware.modbus.gateio_sim import GateIOSimulator
from hardware.modbus.sampler_sim import SamplerSimulator
from hardware.printer.simulator import PrinterSimulator
from hardware.scale.simulator import IndicatorSimulator
from hardware.sim.clock import SimClock
from hardware.sim.plant import Plant, PlantTiming, StepHook
from hardware.sim.trucks import TruckScenario, continuous_pool, demo_trucks
from hardware.sim.usb import PluggableIndicator
from intake.config import GateConfig, load_config
from intake.demo import masterdata
from intake.demo.decks import Deck, open_deck, with_decks
from intake.alarms.service import run_alarms
from intake.gate import Gate, open_gate, run_lanes
from vision.synth import generate

log = logging.getLogger(__name__)
DEMO_CONFIG = Path(__file__).with_name("demo.toml")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
FOREVER_QUEUE = 2   # the continuous demo: trucks waiting for the deck before the next arrives


@dataclass(frozen=True)
class DemoOptions:
    trucks: int | None = None        # None: run until stopped
    hours: float | None = None       # without trucks: stop after this much simulated time
    speed: float = 1.0
    db: str | None = None
    port: int = 8080
    web: bool = True
    config: Path = DEMO_CONFIG
    sampling_rate: float | None = None   # override, e.g. 1.0 in tests to sample every truck
    data_dir: Path | None = None
    protocol: str = "toledo"             # what the simulated indicator speaks
    command: bool = False                # ... and whether the gate polls it
    plugins: tuple[DemoPlugin, ...] = ()  # play along with the plant (tests/faults injects faults)
    pluggable_scale: bool = False        # the indicator behind a by-id link a plugin may unplug
    fixed_io_port: bool = False          # the I/O module on a port it keeps across a restart
    io_late_s: float = 0.0               # the I/O module comes up this long (simulated s) after the gate
    lanes: int = 1                       # weighbridge decks on the one gate, trucks shared among them
    arrival_gap_s: float = 15.0          # simulated seconds between arrivals (scripts/soak.py paces it)
    max_queue: int | None = None         # arrivals wait while this many trucks queue (soak)
    plant_timing: PlantTiming = PlantTiming()   # e.g. drivers who wait longer at a closed lane (tests)
    # Told the running device simulators by name ("sampler", "gateio"): tests read what they heard.
    on_devices: Callable[[dict[str, object]], None] | None = None
    attendant_hold_s: float | None = None   # the lanes' attendant hold window (None: the config's)
    scenarios: tuple[TruckScenario, ...] = ()   # these trucks instead of the mix (tests)


@dataclass
class DemoDevices:
    """The running simulators, the plant and the gate, as a demo plugin sees them."""
    clock: SimClock
    indicator: IndicatorSimulator | PluggableIndicator
    sampler: SamplerSimulator
    gateio: GateIOSimulator
    camera: CameraSimulator
    plant: Plant
    gate: Gate


class DemoPlugin(Protocol):
    """Something that plays along with the simulated plant, e.g. the fault suite's injector
    (tests/faults/injector.py): it is given the devices before the first truck, told each
    truck's steps, and cancelled when the trucks are done."""

    def attach(self, devices: DemoDevices) -> None: ...
    async def on_step(self, index: int, truck: TruckScenario, step: str) -> None: ...
    def cancel(self) -> None: ...


Emit = Callable[[dict], None]


def print_json(summary: dict) -> None:
    print(json.dumps(summary, ensure_ascii=False), flush=True)


def demo_config(opts: DemoOptions) -> GateConfig:
    cfg = load_config(opts.config)
    site = cfg.site.model_copy(update={k: v for k, v in
                                       {"database": opts.db, "data_dir": opts.data_dir}.items() if v})
    sampling = cfg.sampling
    if opts.sampling_rate is not None:
        # A fixed rate for tests and demos: no per-supplier rates, no switching to reduced.
        switching = sampling.switching.model_copy(update={"reduced_factor": 1.0})
        sampling = sampling.model_copy(update={"rate": opts.sampling_rate, "rates": [], "switching": switching})
    model = cfg.model
    if not model.path.is_absolute():
        # The shipped model sits in the project's models/, wherever the demo is started from.
        model = model.model_copy(update={"path": PROJECT_ROOT / model.path})
    lanes = cfg.lanes
    if opts.attendant_hold_s is not None:
        hold = lanes[0].attendant.model_copy(update={"hold_s": opts.attendant_hold_s})
        lanes = [lane.model_copy(update={"attendant": hold}) for lane in lanes]
    return cfg.model_copy(update={"site": site, "sampling": sampling, "model": model, "lanes": lanes})


def sample_images(n: int, seed: int, pool: int = 40) -> Callable[[str], list[np.ndarray]]:
    """What the camera over the sample tray sees: n photos of the load's true material.

    The first `pool` photos of each material are made fresh; later trucks get n distinct photos
    drawn from those. Rendering is the plant's costliest step (tens of ms a photo, on the event
    loop), so a long soak reuses photos instead of paying it for every truck."""
    rng = np.random.default_rng(seed)
    made: dict[str, list[np.ndarray]] = {}

    def photos(label: str) -> list[np.ndarray]:
        have = made.setdefault(label, [])
        if len(have) + n <= pool:
            fresh = [generate(label, rng, size=256) for _ in range(n)]
            have.extend(fresh)
            return fresh
        return [have[i] for i in rng.choice(len(have), size=n, replace=False)]

    return photos


async def run_demo(opts: DemoOptions, emit: Emit, on_gate: Callable[[Gate, str | None], None] | None = None) -> int:
    cfg = demo_config(opts)
    clock = SimClock(opts.speed)
    lane = cfg.lanes[0]
    async with AsyncExitStack() as stack:
        decks = [await open_deck(opts, cfg, clock, stack, str(i + 1)) for i in range(opts.lanes)]
        first = decks[0]
        if opts.io_late_s:
            await first.gateio.stop()   # absent when the gate starts (see _bring_up_late)
        printer_sim = PrinterSimulator().start()   # the kiosk's receipt printer on TCP 9100
        stack.callback(printer_sim.stop)
        cfg = _with_printer(with_decks(cfg, decks, opts.protocol, opts.command), printer_sim.port)

        done: asyncio.Queue[str | dict] = asyncio.Queue()   # visits over, and refusal lines
        gate = await open_gate(cfg, clock, stack, on_visit_done=done.put_nowait,
                               on_refused=lambda lane_id, plate, reason: done.put_nowait(
                                   refusal_line(lane_id, plate, reason)))
        trucks = list(opts.scenarios) or (demo_trucks(opts.trucks) if opts.trucks else continuous_pool())
        await asyncio.to_thread(masterdata.seed, gate.records.engine, trucks)
        images = sample_images(lane.camera.frames, seed=7)
        for deck in decks:
            # Trucks identify themselves by their RFID card, read over the deck's reader's pty.
            deck.plant = Plant(clock, deck.gateio, deck.camera, identify=partial(_show_card, deck),
                               images_for=images, on_step=_steps_to(opts.plugins) if deck is first else None,
                               timing=opts.plant_timing, deck_views=deck.views.show if deck.views else None)
        plant = first.plant
        assert plant is not None
        if opts.io_late_s:
            stack.push_async_callback(_bring_up_late(first.gateio, plant, clock, opts.io_late_s))
        if opts.on_devices is not None:
            opts.on_devices({"sampler": first.sampler, "gateio": first.gateio, "printer": printer_sim})
        for plugin in opts.plugins:   # plugins play along with the first deck
            plugin.attach(DemoDevices(clock, first.indicator, first.sampler, first.gateio, first.camera, plant, gate))
        url = await _start_web(gate, opts, stack) if opts.web else None
        if url:
            await asyncio.to_thread(_demo_reviewer, gate)
        if on_gate:
            on_gate(gate, url)
        stop = asyncio.Event()
        lanes = asyncio.create_task(run_lanes(gate, stop), name="lanes")
        reporter = asyncio.create_task(_report(gate, done, emit), name="reporter")
        alarms = asyncio.create_task(run_alarms(gate, stop), name="alarms")   # nothing without [[alarms.rules]]
        # Run for ever: arrivals wait while trucks queue, as drivers do, so the pool comes round
        # only after it has all been served.
        queue = opts.max_queue if opts.max_queue is not None or opts.trucks else FOREVER_QUEUE
        try:
            await _for_hours(clock, opts.hours if opts.trucks is None else None,
                             _drive_plants(decks, trucks, opts.trucks is None, lanes, opts.arrival_gap_s, queue))
        finally:
            for plugin in opts.plugins:
                plugin.cancel()
            stop.set()
            await asyncio.wait_for(lanes, timeout=10)
            await _drain(done, gate, emit)
            await _stop_alarms(alarms)
            reporter.cancel()
        expected = sorted(t.plate for t in trucks if t.registered)
        strikes = [s for deck in decks for s in deck.gateio.strikes]
        if strikes:
            # The one thing the gate must never do: a failed run whatever else went right.
            log.error("barrier lowered onto a vehicle: %s", strikes[:5])
            return 1
        finished = sorted(p for deck in decks if deck.plant for p in deck.plant.finished)
        return 0 if opts.trucks is None or finished == expected else 1


async def _for_hours(clock: SimClock, hours: float | None, drive: Awaitable[None]) -> None:
    """Play the trucks; with `hours`, stop after that much simulated time (trucks on the deck
    then are left where they are: the demo is over)."""
    play = asyncio.ensure_future(drive)
    if hours is None:
        await play
        return
    timer = asyncio.ensure_future(clock.sleep(hours * 3600))
    try:
        await asyncio.wait({play, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (play, timer):
            task.cancel()
        await asyncio.gather(play, timer, return_exceptions=True)
    if play.done() and not play.cancelled() and play.exception() is not None:
        raise play.exception()  # type: ignore[misc]


def _bring_up_late(io: GateIOSimulator, plant: Plant, clock: SimClock,
                   after_s: float) -> Callable[[], Awaitable[None]]:
    """The I/O module switched on `after_s` after the gate (a commissioning day); returns what
    cancels it if the run ends first."""
    plant.io_offline = True

    async def up() -> None:
        await clock.sleep(after_s)
        await io.start()
        plant.io_offline = False
        await io.set_inputs()   # publish what the deck did while it was off

    task = asyncio.create_task(up(), name="io-late")

    async def cancel() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return cancel


async def _stop_alarms(alarms: asyncio.Task) -> None:
    """The watcher's last look and the delivery in progress, within a bound; they never hold the run."""
    try:
        await asyncio.wait_for(alarms, timeout=30)
    except asyncio.TimeoutError:
        log.warning("alarms did not stop within 30 s; what is pending stays in the outbox")


def _steps_to(plugins: tuple[DemoPlugin, ...]) -> StepHook | None:
    """One plant step hook that tells every plugin in turn (None without plugins)."""
    if not plugins:
        return None

    async def told(index: int, truck: TruckScenario, step: str) -> None:
        for plugin in plugins:
            await plugin.on_step(index, truck, step)
    return told


def _show_card(deck: Deck, plate: str) -> None:
    deck.rfid.show(masterdata.demo_tag(plate))


async def _drive_plants(decks: list[Deck], trucks: list[TruckScenario], forever: bool, lanes: asyncio.Task,
                        arrival_gap_s: float = 15.0, max_queue: int | None = None) -> None:
    """Play the trucks, dealt to the decks in turn (over and over when `forever`); stop early if
    the gate itself dies."""
    async def all_decks() -> None:
        await asyncio.gather(*(deck.plant.run(trucks[i::len(decks)], arrival_gap_s, max_queue)
                               for i, deck in enumerate(decks) if deck.plant is not None))

    while True:
        play = asyncio.create_task(all_decks())
        finished, _ = await asyncio.wait({play, lanes}, return_when=asyncio.FIRST_COMPLETED)
        if lanes in finished:
            play.cancel()
            lanes.result()  # re-raise the gate's failure
            return
        play.result()
        if not forever:
            return


def refusal_line(lane: str, identified: str, reason: str) -> dict:
    """The demo's line for a truck refused at the entry: it has no visit, so no weighings.
    `identified` is what the lane read: a plate, or "tag:<card>" for a card bound to no vehicle."""
    plate = None if identified.startswith("tag:") else identified
    return {"plate": plate, "identified_as": identified, "lane": lane, "refused": reason, "verdict": None}


async def _report(gate: Gate, done: asyncio.Queue[str | dict], emit: Emit) -> None:
    while True:
        item = await done.get()
        emit(item if isinstance(item, dict) else await asyncio.to_thread(gate.records.visit_summary, item))


async def _drain(done: asyncio.Queue[str | dict], gate: Gate, emit: Emit) -> None:
    while not done.empty():
        item = done.get_nowait()
        emit(item if isinstance(item, dict) else gate.records.visit_summary(item))






def _demo_reviewer(gate: Gate) -> None:
    """The demo's review pages need a login: a `demo` reviewer with a password made now."""
    import secrets

    from intake.auth.users import UserError, Users

    users, password = Users(gate.records.engine), secrets.token_urlsafe(9)
    for name, role in (("demo", "reviewer"), ("demo-attendant", "attendant")):
        try:
            users.add(name, password, role)
        except UserError:
            users.set_password(name, password)
    log.warning("review pages: log in as demo / %s; attendant console (/console): demo-attendant / %s",
                password, password)


def _with_printer(cfg: GateConfig, port: int) -> GateConfig:
    """Each lane configured with a printer prints to the simulator instead."""
    lanes = [lane.model_copy(update={"printer": lane.printer.model_copy(update={"port": port})})
             if lane.printer is not None else lane for lane in cfg.lanes]
    return cfg.model_copy(update={"lanes": lanes})


async def _start_web(gate: Gate, opts: DemoOptions, stack: AsyncExitStack) -> str:
    from intake.runtime import start_web, web_app

    return await start_web(web_app(gate), "127.0.0.1", opts.port, stack)

