"""The asyncio shell around the pure lane machine: read devices, step, execute commands.

Every decision is the machine's (intake.lane.machine.step); this loop turns what the devices,
the store and the watchdog report into events and carries out the commands the machine
returns. Commands are executed strictly in order, and records are committed (in a worker
thread) before the next command runs, so no barrier moves before the record that justifies it
is durable.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace
from functools import partial
from typing import Any, Callable, Coroutine

from sqlalchemy.exc import SQLAlchemyError

from hardware.clock import Clock
from hardware.modbus.gateio import GateInputs, GateIOError
from hardware.modbus.heartbeat import HeartbeatWatch
from hardware.scale.reader import Reading
from intake.config import LaneConfig
from intake.inspection import Inspector
from intake.lane.attendant_desk import AttendantDesk
from intake.lane.barriers import ArmOrder, all_down, arm_faults, stamped
from intake.lane.devices import GateIO, ScaleSource, frame_to_kg
from intake.lane.interlocks import ProbeSignals, failing, view_of
from intake.lane.latch import LatchDesk
from intake.lane.pass_records import PassRecords, VisitDone, Weighed
from intake.lane.machine import (
    BARRIERS, Admitted, ArmsClosed, Barrier, BarrierName, BarrierNotTaken, CloseWhenClear, Command, DeviceFault,
    Event, Inspect, InspectionDone, Interlocks, IOLink, LaneFaults, LaneReset, LaneState, LoadAccepted, LoopDown, LoopUp,
    Phase, ProbeCycle, ProbeProgress, Readings, RecordAttendant, RecordHold, RecordLatch, RecordReset, RecordVoid, RecordWeight, Refuse,
    Refused, ShowRefusal, StopProbe, StoreBack, StoreFailed, VisitOver, not_admissible, owed_visit, step,
)
from intake.lane.status import LaneStatus, Receipt, StatusHub
from intake.lane.view import lane_status
from intake.store.crashpoint import crash_point
from intake.store.outage import StoreOutage
from intake.store.records import Admission, Records, Refusal
from intake.watchdog import Heartbeat, Watchdog, WatchedThread, thread_loop

log = logging.getLogger(__name__)
# Wall seconds without a heartbeat before the watchdog calls a loop hung. A lane tick may wait on
# several Modbus timeouts (2 x 2 s each) when the I/O module is gone, so allow for those.
LANE_HANG_S = 30.0
INSPECTION_GRACE_S = 30.0   # beyond the inspection's own time limit
THREAD_HANG_MIN_S = 12.0    # a reader thread beats at least once per reopen backoff (5 s at most)
INSPECTION_MIN_WALL_S = 5.0  # frames, classifier and records take real time at any clock speed
STOP_TIMEOUT_S = 2.0        # wall seconds a STOP to the sampler may take; its e-stop is the last word
IO_TIMEOUT_S = 5.0          # wall seconds for one I/O module call while failing closed
# Wall seconds between tries of an I/O module absent at start: doubling, and well inside the
# lane loop's watchdog period (it beats at each try).
START_RETRY_FIRST_S, START_RETRY_MAX_S = 0.5, 10.0

RefusalSeen = Callable[[str, str], None]


class LaneDriver(PassRecords):
    def __init__(self, cfg: LaneConfig, clock: Clock, scale: ScaleSource, gateio: GateIO,
                 inspector: Inspector, records: Records, hub: StatusHub,
                 on_visit_done: VisitDone | None = None, on_refused: RefusalSeen | None = None) -> None:
        self.cfg, self.clock, self.scale, self.gateio = cfg, clock, scale, gateio
        self.inspector, self.records, self.hub = inspector, records, hub
        self.on_visit_done, self.on_refused = on_visit_done, on_refused
        self.on_weighed: Weighed | None = None   # the deck evidence desk (intake.evidence), when configured
        self.state = LaneState()
        self.plates: asyncio.Queue[str] = asyncio.Queue(maxsize=16)
        self._events: asyncio.Queue[Event] = asyncio.Queue(maxsize=16)
        self._admission: Admission | None = None
        self._inspection: asyncio.Task[None] | None = None
        self._status = LaneStatus(lane=cfg.id)
        self._receipt: tuple[str, Receipt] | None = None   # the last visit weighed out, for the kiosk
        self._receipt_read: asyncio.Task[None] | None = None
        hub.publish(self._status)  # the lane exists for the kiosk from the start
        self._open: dict[BarrierName, bool] = {"entry": False, "plant": False, "return": False}   # taken
        self._outage = StoreOutage(records)
        self.visits_done = 0
        self.verdicts: dict[str, int] = {}    # inspection outcomes since start, for /metrics
        self._last: Readings | None = None
        self._orders: dict[BarrierName, ArmOrder] = {}   # what each arm was last told, and when
        self._io_hb = HeartbeatWatch(cfg.safety.io_heartbeat_timeout_s, clock.now())
        self._unknown_since: float | None = None   # the probe guard's view of the indicator
        self._inputs: GateInputs | None = None      # the I/O module's inputs at this tick
        self._latch = LatchDesk(records.engine, cfg.id, clock)
        self._attendant = AttendantDesk(records.engine, cfg.id, clock)
        self.heartbeat = 0.0
        self._jobs: asyncio.Queue[Admission] = asyncio.Queue(maxsize=1)   # to the inspection worker
        self._job: Admission | None = None
        self._beats: dict[str, Heartbeat] = {}
        self.threads: dict[str, WatchedThread] = {}   # device reader threads: "scale", "rfid"
        self._started = False
        self._grace = INSPECTION_GRACE_S

    # ---- supervision ----------------------------------------------------------------------

    def supervise(self, dog: Watchdog, stop: asyncio.Event, lane_hang_s: float = LANE_HANG_S,
                  inspection_grace_s: float = INSPECTION_GRACE_S) -> None:
        """Hand the lane loop and the inspection worker to the watchdog, which starts them."""
        self._grace = inspection_grace_s
        loops: list[tuple[str, Callable[[], Coroutine[Any, Any, None]], float]] = [
            ("lane", partial(self.run, stop), lane_hang_s),
            ("inspection", partial(self.inspection_worker, stop), lane_hang_s)]
        for name, device in self.threads.items():
            loops.append((name, partial(self._thread_loop, name, device, stop), max(lane_hang_s, THREAD_HANG_MIN_S)))
        for part, factory, period in loops:
            self._beats[part] = dog.watch(
                f"{part} {self.cfg.id}", factory, period_s=period, lane=self.cfg.id,
                on_down=partial(self._loop_down, part), on_up=partial(self._loop_up, part))

    async def _thread_loop(self, name: str, device: WatchedThread, stop: asyncio.Event) -> None:
        await thread_loop(device, self._beats[name], stop)

    def _beat(self, part: str) -> None:
        beat = self._beats.get(part)
        if beat is not None:
            beat.beat()

    async def _loop_down(self, part: str, reason: str, final: bool) -> None:
        job, self._job = (self._job, None) if part == "inspection" else (None, self._job)
        event = LoopDown(self.clock.now(), part, reason, final, job.visit if job is not None else None)
        if part == "lane":
            await self._apply(event)   # its loop is not running: nobody else steps the machine now
        else:
            self._push(event)          # the lane loop applies it at its next tick, in order
        self._publish(self._last)

    def _loop_up(self, part: str) -> None:
        self._push(LoopUp(self.clock.now(), part))

    def _push(self, event: Event) -> None:
        try:
            self._events.put_nowait(event)
        except asyncio.QueueFull:
            log.error("lane %s event queue full, dropped %s", self.cfg.id, event)

    def identify(self, plate: str) -> None:
        """An identification event (RFID, plate camera, kiosk code). Drops when flooded."""
        if not self.plates.full():
            self.plates.put_nowait(plate)

    # ---- the loops ------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        tick = max(self.cfg.scale.frame_period_s, self.clock.speed * 0.005)
        if not self._started:
            await self._start_when_io_answers(stop)
        elif self.state.phase is not Phase.IDLE:
            # Restarted by the watchdog under a truck: void its pass, or hold its load.
            await self._apply(DeviceFault(self.clock.now(), "watchdog_restart"))
        while not stop.is_set():
            self.heartbeat = self.clock.now()
            self._beat("lane")
            try:
                await self._tick()
            except (SQLAlchemyError, OSError) as exc:
                # The store refused a record (disk full, read-only, locked): whatever that record
                # would have justified does not happen, and no new truck is admitted.
                await self._store_failed(exc)
            await self.clock.sleep(tick)
        if self._inspection is not None:
            self._inspection.cancel()

    async def _start_when_io_answers(self, stop: asyncio.Event) -> None:
        """An I/O module absent or silent at start closes the lane with its reason on the kiosk
        (the machine's IOLink), retried with backoff while the rest of the gate serves."""
        delay_s = START_RETRY_FIRST_S
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._start_safe(), IO_TIMEOUT_S * 4)
            except (GateIOError, asyncio.TimeoutError, OSError) as exc:
                why = f"gate_io_unreachable: {(str(exc).splitlines() or [type(exc).__name__])[0][:160]}"
                if self.state.io_error != why:
                    log.error("lane %s closed: %s; retrying every %.0f s at most", self.cfg.id, why, START_RETRY_MAX_S)
                await self._apply(IOLink(self.clock.now(), why))
                self._publish(None)
                self._beat("lane")
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay_s)
                delay_s = min(delay_s * 2, START_RETRY_MAX_S)
                continue
            self._started = True
            return

    async def _start_safe(self) -> None:
        """Lights red; an arm found up stays up until the machine sees its loop clear for
        loop_clear_s (a truck may be under it after a restart), then comes down like any other."""
        self._io_hb.see(await self.gateio.read_heartbeat(), self.clock.now())
        coils = await self.gateio.read_barriers()
        self._orders = {name: ArmOrder(coils[name], self._module_s()) for name in BARRIERS}
        self._open = dict(coils)
        latched = await self._latch.restore()
        if latched:
            log.error("lane %s: faults latched before the restart, reset needed: %s", self.cfg.id, latched)
        self.state = replace(self.state, open=frozenset(n for n in BARRIERS if coils[n]), latched=latched)
        await self.gateio.set_lights(entry="red", exit="red")

    async def inspection_worker(self, stop: asyncio.Event) -> None:
        """Runs the inspections the lane asks for, one at a time, beating while idle."""
        poll = max(self.clock.wall(self.cfg.scale.frame_period_s), 0.05)
        while not stop.is_set():
            self._beat("inspection")
            try:
                adm = await asyncio.wait_for(self._jobs.get(), poll)
            except TimeoutError:
                continue
            self._job = adm
            beat = self._beats.get("inspection")
            if beat is not None:
                beat.busy(self._inspection_limit() + self._grace)
            await self._inspect(adm)
            self._job = None

    async def _tick(self) -> None:
        if self.state.store_fault:
            await self._store_retry()
            return
        while not self._events.empty():
            await self._apply(self._events.get_nowait())
        readings = await self._read()
        if readings is not None:
            await self._apply(readings)
            await self._watch_probe()
        for request in await self._latch.requests(bool(self.state.latched)):
            await self._apply(LaneReset(self.clock.now(), request.by, request.id))
        for event in await self._attendant.events():
            await self._apply(event)
        await self._admit_next()
        self._publish(readings)

    # ---- the store ------------------------------------------------------------------------

    async def _store_failed(self, exc: BaseException, opened: str | None = None) -> None:
        self._outage.fail(exc, owed_visit(self.state, opened), self.clock.now())
        assert self._outage.fault is not None
        log.error("lane %s out of service (%s), a record could not be written: %s", self.cfg.id,
                  self._outage.fault, exc)
        await self._apply(StoreFailed(self.clock.now(), self._outage.fault))
        self._publish(None)

    async def _store_retry(self) -> None:
        """Out of service for the store: nobody is admitted, the lane stands still (no record,
        no barrier) and tries to write again at intervals; the machine ends the owed visit."""
        while not self.plates.empty():
            self.plates.get_nowait()   # refused now; the truck's reader announces it again
        now = self.clock.now()
        inspecting = self._job is not None or (self._inspection is not None and not self._inspection.done())
        if inspecting or not self._outage.due(now) or not await asyncio.to_thread(self._outage.retry, now):
            if self._outage.fault is not None:
                await self._apply(StoreFailed(now, self._outage.fault))
            self._publish(None)
            return
        owed, reason = self._outage.owed, self._outage.reason
        self._outage.clear()
        await self._apply(StoreBack(now, owed, reason))
        self._publish(None)

    # ---- devices --------------------------------------------------------------------------

    async def _read(self) -> Readings | None:
        try:
            inputs = await self._read_io()
        except Exception as exc:
            await self._apply(IOLink(self.clock.now(), f"gate_io:{exc}"))
            return None
        self._inputs = inputs
        await self._watch_safety(inputs)
        await self._apply(IOLink(self.clock.now(), None))   # orders it missed are sent again
        reading = self.scale.latest()
        weight, motion = frame_to_kg(reading.frame if reading.known else None)
        now = self.clock.now()
        age_s = max(0.0, time.monotonic() - reading.at) * self.clock.speed   # the reader's clock is monotonic
        self._last = Readings(now=now, weight_kg=weight, motion=motion, frame_at=now - age_s if reading.known else None,
                              front_blocked=inputs.front_blocked, rear_blocked=inputs.rear_blocked,
                              deck_occupied=inputs.deck_occupied, entry_loop=inputs.entry_loop,
                              exit_loop=inputs.exit_loop, driver_confirm=inputs.driver_confirm,
                              restarts=_restarts(reading))
        return self._last

    async def _read_io(self) -> GateInputs:
        """The heartbeat, then the inputs: the input image is at least as new as the count."""
        try:
            beat = await self.gateio.read_heartbeat()
        except Exception:
            self._io_hb.unread()   # unreachable is gate_io_lost, not a frozen module
            raise
        self._io_hb.see(beat, self.clock.now())
        return await self.gateio.read_inputs()

    def _module_s(self) -> float:
        """The I/O module's own time (its heartbeat counts 100 ms scans). An arm's travel is
        judged on it: a module whose scan lagged has not yet seen the arm arrive, which is no
        arm fault (a module that stops scanning is `gate_io_frozen`)."""
        return self._io_hb.device_s

    async def _watch_safety(self, inputs: GateInputs) -> None:
        """Arms against their orders, the module's heartbeat: any fault closes the lane."""
        now = self.clock.now()
        self._orders = stamped(self._orders, self._module_s())
        faults = arm_faults(self._orders, {n: inputs.arm(n) for n in BARRIERS}, self._module_s(),
                            self.cfg.safety.barrier_travel_s) if self._orders else ()
        if self._io_hb.stale_for(now) is not None:
            faults += ("gate_io_frozen",)
        if faults != self.state.faults:
            if faults:
                log.error("lane %s closed: %s", self.cfg.id, ", ".join(faults))
            await self._apply(LaneFaults(now, faults))

    # ---- the probe's interlocks (asked by the inspector, intake.inspection.LaneSide) ----------

    def holds(self) -> tuple[str, ...]:
        return self.state.holds

    async def interlock_failures(self) -> list[str]:
        """Asked by the inspector before the probe may move; any doubt refuses."""
        try:
            boom = await self.inspector.sampler.boom_clear()
        except Exception as exc:  # an unreadable device is a refusing interlock
            log.warning("interlock read failed: %s", exc)
            boom = False
        return await self.probe_guard(boom)

    async def probe_guard(self, boom_clear: bool | None = None) -> list[str]:
        """Asked at every poll of the probe cycle (boom_clear None: the boom is out by design).
        Reads the I/O module afresh: the probe stops on what is true now, not at the last tick.
        Once the lane itself stopped the probe this cycle, that break stays the answer, so the
        sampler client ends the cycle naming the interlock even if the cause has passed."""
        try:
            inputs = await self._read_io()
        except Exception as exc:
            log.warning("interlock read failed: %s", exc)
            return ["io_alive"]
        broken = self._broken(inputs, boom_clear)
        if broken and boom_clear is None:
            log.error("lane %s: interlock broken during the probe cycle: %s", self.cfg.id, broken)
        return broken or (list(self.state.probe_stopped) if boom_clear is None else [])

    def probe_cycle(self, running: bool) -> None:
        """The inspector's word that the probe cycle begins or ended. Applied at once, not
        queued: the tick's own check must know from the first instant the probe may move."""
        self.state, commands = step(self.state, ProbeCycle(self.clock.now(), running), self.cfg.weighing)
        assert not commands

    def probe_progress(self, done: int, total: int) -> None:
        """The inspector's word that the truck is drawn (done 0) or that cores were taken."""
        self.state, commands = step(self.state, ProbeProgress(self.clock.now(), done, total), self.cfg.weighing)
        assert not commands

    async def _watch_probe(self) -> None:
        """The lane's own interlock check at every tick while the probe cycle runs: a break
        stops the probe from here too, not only at the sampler client's next poll, which a
        long poll period or a slow PLC link may leave seconds behind."""
        if self.state.probe and self._inputs is not None:
            broken = self._broken(self._inputs, None)
            if broken:
                await self._apply(Interlocks(self.clock.now(), tuple(broken)))

    def _broken(self, inputs: GateInputs, boom_clear: bool | None) -> list[str]:
        """The interlocks broken now, from these inputs and the indicator's latest reading."""
        now = self.clock.now()
        s, reading = self.state, self.scale.latest()
        weight, motion = frame_to_kg(reading.frame if reading.known else None)
        if weight is not None or self._unknown_since is None:
            self._unknown_since = None if weight is not None else now
        signals = ProbeSignals(
            inspecting=s.phase is Phase.INSPECTING, recorded_kg=s.weight_kg, weight_kg=weight,
            unknown_for_s=0.0 if self._unknown_since is None else now - self._unknown_since, motion=motion,
            positioned=inputs.truck_in_position,
            arms_down=bool(self._orders) and not s.open
            and all_down(self._orders, {n: inputs.arm(n) for n in BARRIERS}),
            driver_out=s.driver_out, zone_intrusion=inputs.zone_intrusion,
            io_stale=self._io_hb.stale_for(now) is not None, lane_faults=s.faults, boom_clear=boom_clear)
        return failing(view_of(signals, self.cfg.weighing.drift_band_kg, self.cfg.weighing.unknown_timeout_s))

    # ---- admission ------------------------------------------------------------------------

    async def _admit_next(self) -> None:
        while not self.plates.empty():
            plate = self.plates.get_nowait()
            if not_admissible(self.state) is not None:
                continue  # busy or out of service: the truck's reader will announce it again
            result = await asyncio.to_thread(self.records.admit, plate, self.cfg.id)
            if isinstance(result, Refusal):
                await self._apply(Refused(self.clock.now(), plate, result.reason))
                continue
            self._admission = result
            holds: list[str] = []
            if result.kind == "in":
                window = self.clock.wall(self.cfg.weighing.repeat_window_s)
                try:
                    holds = await asyncio.to_thread(self.records.checks_at_admission, result.visit, window)
                except (SQLAlchemyError, OSError) as exc:
                    await self._store_failed(exc, opened=result.visit)   # its visit is recorded: end it too
                    return
            await self._apply(Admitted(self.clock.now(), result.visit, plate, result.kind, tuple(holds)))
            return

    # ---- commands -------------------------------------------------------------------------

    async def _apply(self, event: Event) -> None:
        self.state, commands = step(self.state, event, self.cfg.weighing, self.cfg.safety, self.cfg.attendant)
        for command in commands:
            await self._execute(command)

    async def _execute(self, command: Command) -> None:
        if isinstance(command, (RecordWeight, RecordHold, RecordVoid, VisitOver)):
            await self._record(command)
        elif isinstance(command, Inspect):
            assert self._admission is not None
            if self._beats:
                self._jobs.put_nowait(self._admission)   # the supervised worker takes it
            else:
                self._inspection = asyncio.create_task(self._inspect(self._admission))
        elif isinstance(command, LoadAccepted):
            await self._stored_tare_exit(command.visit)
        elif isinstance(command, Barrier):
            await self._move_barrier(command)
        elif isinstance(command, StopProbe):
            await self._stop_probe(command.reason)
        elif isinstance(command, CloseWhenClear):
            await self._apply(ArmsClosed(self.clock.now(), await self._close_if_clear()))
        elif isinstance(command, (RecordLatch, RecordReset)):
            await self._latch_record(command)
        elif isinstance(command, RecordAttendant):
            await self._attendant.answer(command)   # the new decision is durable before its barrier
            log.warning("lane %s: attendant %s %s %s: %s", self.cfg.id, command.by, command.action,
                        f"refused ({command.refused})" if command.refused else "taken", command.reason)
        elif isinstance(command, ShowRefusal):
            log.info("lane %s refused %s: %s", self.cfg.id, command.plate, command.reason)
            if self.on_refused is not None:
                self.on_refused(command.plate, command.reason)
        elif isinstance(command, Refuse):
            log.info("lane %s: %s", self.cfg.id, command.reason)

    async def _latch_record(self, command: RecordLatch | RecordReset) -> None:
        if isinstance(command, RecordLatch):
            await self._latch.latched(command.faults)
            return
        await self._latch.answer(command.request, command.by, command.cleared, command.refused_by)
        log.warning("lane %s: reset by %s %s", self.cfg.id, command.by,
                    f"refused, still active: {command.refused_by}" if command.refused_by
                    else f"cleared {command.cleared}")

    async def _move_barrier(self, command: Barrier) -> None:
        try:
            await self.gateio.set_barrier(command.name, command.open)
            crash_point(f"barrier_{command.name}_{'open' if command.open else 'closed'}")
            self._open[command.name] = command.open
            self._orders[command.name] = ArmOrder(command.open, None)
            await self._lights()
        except Exception as exc:  # module gone: the machine keeps the order and sends it again
            log.warning("lane %s: barrier %s not taken: %s", self.cfg.id, command.name, exc)
            await self._apply(BarrierNotTaken(self.clock.now(), command.name, command.open, f"gate_io:{exc}"))

    async def _lights(self) -> None:
        """The lights follow the barriers: green only where the driver may go now."""
        exit_open = self._open["plant"] or self._open["return"]
        await self.gateio.set_lights(entry="green" if self._open["entry"] else "red",
                                     exit="green" if exit_open else "red")

    async def _close_if_clear(self) -> tuple[BarrierName, ...]:
        """Fail closed: lights red; each arm down once nothing has been under it (its loop, and
        for the exit arms the deck and front grating) for loop_clear_s. Never onto a vehicle."""
        lowered: list[BarrierName] = []
        try:
            await asyncio.wait_for(self.gateio.set_lights(entry="red", exit="red"), IO_TIMEOUT_S)
            closing: set[BarrierName] = set(BARRIERS)
            deadline = self.clock.now() + self.cfg.safety.loop_clear_s
            while closing:
                inputs = await asyncio.wait_for(self.gateio.read_inputs(), IO_TIMEOUT_S)
                if inputs.entry_loop:
                    closing.discard("entry")
                if inputs.deck_occupied or inputs.front_blocked or inputs.exit_loop:
                    closing -= {"plant", "return"}
                if self.clock.now() >= deadline:
                    break
                await self.clock.sleep(0.1)
            for name in sorted(closing):
                await asyncio.wait_for(self.gateio.set_barrier(name, False), IO_TIMEOUT_S)
                self._open[name] = False
                self._orders[name] = ArmOrder(False, None)
                lowered.append(name)
        except Exception as exc:   # the I/O module is part of the trouble: leave it to its fail-safe
            log.warning("lane %s: could not close the barriers: %s", self.cfg.id, exc)
        return tuple(lowered)

    async def _stop_probe(self, reason: str) -> None:
        log.error("lane %s: stopping the probe (%s)", self.cfg.id, reason)
        try:
            await asyncio.wait_for(self.inspector.sampler.stop(), STOP_TIMEOUT_S)
        except Exception as exc:   # the client's own guard sends STOP again at its next poll
            log.error("lane %s: STOP not taken by the sampler: %r", self.cfg.id, exc)

    # ---- inspection -----------------------------------------------------------------------

    def _inspection_limit(self) -> float:
        """Wall seconds: the sampler cycle and camera limits on the (simulated) clock, but
        never under INSPECTION_MIN_WALL_S, since the computing part does not speed up with it."""
        sim = self.cfg.sampler.timeout_s + 2 * self.cfg.camera.timeout_s
        return max(self.clock.wall(sim), INSPECTION_MIN_WALL_S)

    async def _inspect(self, adm: Admission) -> None:
        limit = self._inspection_limit()
        try:
            outcome = await asyncio.wait_for(self.inspector.inspect(adm, self), timeout=limit)
            verdict, reasons, label = outcome.verdict, outcome.reasons, outcome.label
        except SQLAlchemyError as exc:  # the store stopped taking records: held until it is back
            await self._store_failed(exc)
            return
        except Exception as exc:  # timeout or a bug: the truck is held, never passed
            log.exception("inspection of %s failed", adm.visit)
            reasons = ("inspection_timeout",) if isinstance(exc, TimeoutError) else (f"inspection_error:{exc}",)
            verdict, label = "review", None
            try:
                await asyncio.to_thread(self.records.record_decision, adm.visit, verdict, list(reasons), None)
            except SQLAlchemyError as failed:
                await self._store_failed(failed)
                return
        key = verdict or "unsampled"
        self.verdicts[key] = self.verdicts.get(key, 0) + 1
        await self._events.put(InspectionDone(self.clock.now(), verdict, reasons, label))

    # ---- the kiosk ------------------------------------------------------------------------

    def _publish(self, readings: Readings | None) -> None:
        s, adm = self.state, self._admission
        ours = s.visit is not None and adm is not None and adm.visit == s.visit
        material, name = (adm.material, adm.material_name) if ours and adm is not None else (None, None)
        receipt = self._receipt[1] if self._receipt is not None and self._receipt[0] == s.visit else None
        status = lane_status(self.cfg.id, s, self.clock.now(), material=material, material_name=name, receipt=receipt,
                             weight_kg=readings.weight_kg if readings else None,
                             motion=readings.motion if readings else None)
        if status.model_dump(exclude={"updated_at"}) != self._status.model_dump(exclude={"updated_at"}):
            self._status = status
            self.hub.publish(status)


def _restarts(reading: Reading) -> tuple[int, int]:
    """The reader counts a reconnected port and each power-up frame as they happen."""
    return reading.epoch, reading.power_ups
