"""Fault injection for the fault suite: fires faults on the demo's device simulators as the
trucks reach their steps. It plugs into the demo runner through `DemoOptions.plugins` (the
runner's `DemoPlugin` hooks), so none of it ships in the product."""
from __future__ import annotations

import asyncio
import ctypes
import logging
from dataclasses import dataclass
from typing import Callable, Literal

from hardware.modbus.registers import SamplerFault, SamplerState
from hardware.sim.trucks import TruckScenario
from hardware.sim.usb import PluggableIndicator
from intake.demo.runner import DemoDevices

log = logging.getLogger(__name__)

FaultAction = Literal[
    "scale.noise",       # amount: random bytes before the next frame
    "scale.flip", "scale.truncate", "scale.glue", "scale.corrupt",  # amount: frames affected
    "scale.silence",     # amount: simulated seconds without frames (a stall)
    "scale.reboot",      # amount: seconds of silence, then power-up frames
    "scale.reboot_brief",  # the same with a single power-up frame: over before a lane tick looks
    "camera.black", "camera.freeze", "camera.blur", "camera.remove",
    "sampler.fault",     # amount: PLC fault code (0: probe blocked); latched until a RESET
    "sampler.heartbeat", "sampler.hang",  # for duration_s
    "gateio.offline",    # the I/O module's Modbus server gone for duration_s
    "gateio.freeze",     # the I/O module's scan stalls (heartbeat and inputs stand still) for duration_s
    "gateio.stick_entry", "gateio.stick_plant", "gateio.stick_return",  # that arm stuck for duration_s
    "zone.intrusion",    # a person inside the deck zone's light curtain for duration_s
    "truck.roll",        # the truck on the deck rolls forward; amount: metres (default 1.5)
    "scale.unplug",      # the USB-serial adapter pulled for duration_s, then plugged back
    "lane.hang",         # the lane loop blocks for good; amount: how many (re)starts hang
    "scale.thread_crash", "rfid.thread_crash",  # the device's reader thread dies
]


@dataclass(frozen=True)
class FaultSpec:
    """Inject `action` when truck number `truck` (0-based) reaches plant step `at`
    (see hardware.sim.plant.StepHook), `delay_s` simulated seconds later. `at="sampling"`:
    once the sampler PLC runs that truck's cycle (so its weigh-in is certainly recorded)."""
    truck: int
    action: FaultAction
    at: str = "positioned"
    delay_s: float = 0.0
    amount: float = 0.0
    duration_s: float = 0.0


class FaultInjector:
    """A demo plugin. Each fault runs as its own task so the truck (and the plant) never wait
    for it; `on_fault(spec, sim_time)` is told as each fires."""

    def __init__(self, specs: tuple[FaultSpec, ...], on_fault: Callable[[FaultSpec, float], None]) -> None:
        self.specs, self.on_fault = specs, on_fault
        self._dev: DemoDevices | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def needs_pluggable_scale(self) -> bool:
        return any(f.action == "scale.unplug" for f in self.specs)

    @property
    def needs_fixed_io_port(self) -> bool:
        """An I/O outage restarts the module's server, which must come back on the same port."""
        return any(f.action == "gateio.offline" for f in self.specs)

    def attach(self, devices: DemoDevices) -> None:
        self._dev = devices

    async def on_step(self, index: int, truck: TruckScenario, step: str) -> None:
        for spec in self.specs:
            if spec.truck == index and (spec.at == step or (spec.at == "sampling" and step == "presented")):
                task = asyncio.create_task(self._fire(spec), name=f"fault-{spec.action}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    @property
    def dev(self) -> DemoDevices:
        assert self._dev is not None, "the injector is attached before the first truck"
        return self._dev

    async def _fire(self, spec: FaultSpec) -> None:
        if spec.at == "sampling" and not await self._sampler_running(limit_s=600.0):
            log.error("fault %s on truck %d not injected: the sampler never ran", spec.action, spec.truck)
            return
        await self.dev.clock.sleep(spec.delay_s)
        log.warning("fault injected: %s on truck %d", spec.action, spec.truck)
        self.on_fault(spec, self.dev.clock.now())
        device, _, what = spec.action.partition(".")
        if what == "thread_crash":
            self._kill_thread(device)
        elif spec.action == "scale.unplug":
            await self._unplug(spec.duration_s)
        elif device == "lane":
            self._hang(int(spec.amount) or 1)
        elif device == "scale":
            self._scale(what, spec.amount)
        elif device == "camera":
            getattr(self.dev.camera, what)()
        elif device == "sampler":
            await self._sampler(what, spec)
        elif device in ("zone", "truck") or what != "offline":
            await self._safety(device, what, spec)
        else:
            await self._io_outage(spec.duration_s)

    async def _safety(self, device: str, what: str, spec: FaultSpec) -> None:
        """Faults the safety layer must catch: a stuck arm, a frozen module, a person in the
        deck zone, a truck rolling on the deck."""
        dev = self.dev
        if device == "truck":
            if not await dev.plant.roll(spec.amount or 1.5):
                log.error("fault truck.roll not injected: no truck on the deck")
            return
        if device == "zone":
            await dev.gateio.set_inputs(zone_intrusion=True)
            await dev.clock.sleep(spec.duration_s)
            await dev.gateio.set_inputs(zone_intrusion=False)
            return
        arm = what.removeprefix("stick_")
        toggle = (dev.gateio.freeze_heartbeat if what == "freeze"
                  else lambda on: dev.gateio.stick_arm(arm, on))  # type: ignore[arg-type]
        toggle(True)
        await dev.clock.sleep(spec.duration_s)
        toggle(False)

    async def _sampler_running(self, limit_s: float) -> bool:
        waited = 0.0
        while self.dev.sampler.state is not SamplerState.RUNNING:
            if waited > limit_s:
                return False
            await self.dev.clock.sleep(0.1)
            waited += 0.1
        return True

    def _scale(self, what: str, amount: float) -> None:
        sim = self.dev.indicator
        if what == "noise":
            sim.inject_noise(int(amount))
        elif what == "silence":
            sim.silence(amount)
        elif what in ("reboot", "reboot_brief"):
            sim.reboot(amount, power_up_frames=1 if what == "reboot_brief" else 5)
        else:
            sim.fault(what, int(amount))  # type: ignore[arg-type]  # flip|truncate|glue|corrupt

    async def _sampler(self, what: str, spec: FaultSpec) -> None:
        sampler = self.dev.sampler
        if what == "fault":
            sampler.inject_fault(int(spec.amount) or SamplerFault.PROBE_BLOCKED)
            return
        toggle = sampler.freeze_heartbeat if what == "heartbeat" else sampler.hang
        toggle(True)
        await self.dev.clock.sleep(spec.duration_s)
        toggle(False)

    async def _unplug(self, seconds: float) -> None:
        indicator = self.dev.indicator
        assert isinstance(indicator, PluggableIndicator)
        indicator.unplug()
        try:
            await self.dev.clock.sleep(seconds)
        finally:
            indicator.plug()

    def _hang(self, times: int) -> None:
        """The first lane's loop blocks in its next `times` ticks (one per start): a real hang
        that only the watchdog (cancel and restart) can end."""
        lane, left = self.dev.gate.lanes[0], [times]
        tick = lane._tick

        async def hanging_tick() -> None:
            if left[0] <= 0:
                del lane._tick   # the class's own tick again
                return await tick()
            left[0] -= 1
            await asyncio.Event().wait()   # never set

        lane._tick = hanging_tick  # type: ignore[method-assign]

    def _kill_thread(self, name: str) -> None:
        """The first lane's device reader thread dies, as an uncaught error would end it: an
        exception raised inside the thread by the interpreter, not a flag the reader checks."""
        ident = self.dev.gate.lanes[0].threads[name].ident
        if ident is None or ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(ident), ctypes.py_object(SystemExit)) != 1:
            log.error("fault %s.thread_crash not injected: no such thread", name)

    async def _io_outage(self, seconds: float) -> None:
        dev = self.dev
        dev.plant.io_offline = True
        await dev.gateio.stop()
        try:
            await dev.clock.sleep(seconds)
        finally:
            await dev.gateio.start()
            dev.plant.io_offline = False
            await dev.gateio.set_inputs()  # republish what the deck did while it was gone
