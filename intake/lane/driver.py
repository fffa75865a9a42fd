"""The asyncio shell around the pure lane machine: read devices, step, execute commands.

Commands are executed strictly in order, and records are committed (in a worker thread) before
the next command runs, so no barrier moves before the record that justifies it is durable.
"""
from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Awaitable, Callable, Protocol

from sqlalchemy.exc import SQLAlchemyError

from hardware.scale.frame import WeightFrame
from hardware.sim.clock import SimClock
from intake.config import LaneConfig
from intake.inspection import Inspector
from intake.lane.interlocks import InterlockView, failing
from intake.lane.machine import (
    Admitted, Barrier, Command, DeviceFault, Event, Inspect, InspectionDone, LaneState, Phase, Readings,
    RecordHold,
    RecordVoid, RecordWeight, Refuse, step,
)
from intake.lane.status import LaneStatus, LaneStep, StatusHub
from intake.store.crashpoint import crash_point
from intake.store.records import Admission, Records, Refusal

log = logging.getLogger(__name__)
REFUSAL_SHOWN_S = 30.0   # simulated seconds a refusal stays on the kiosk

_TO_KG = {"kg": Decimal(1), "t": Decimal(1000), "g": Decimal("0.001"), "lb": Decimal("0.45359237")}


class ScaleSource(Protocol):
    def latest(self): ...  # -> hardware.scale.reader.Reading


class GateIO(Protocol):
    async def read_inputs(self): ...
    async def set_barrier(self, name: str, open: bool) -> None: ...
    async def all_closed(self) -> bool: ...
    async def close_all(self) -> None: ...
    async def set_lights(self, *, entry: str | None = None, exit: str | None = None) -> None: ...


def frame_to_kg(frame: WeightFrame | None) -> tuple[int | None, bool | None]:
    """An indicator frame as whole kilograms, or None when it is no usable weight."""
    if frame is None or not frame.usable:
        return None, None
    weight = frame.weight * _TO_KG[frame.unit]
    if weight != weight.to_integral_value():
        # Not a whole kilogram (a lb or g scale): the gate records kg as reported, never rounded.
        return None, None
    return int(weight), (None if frame.stable is None else not frame.stable)


class LaneDriver:
    def __init__(self, cfg: LaneConfig, clock: SimClock, scale: ScaleSource, gateio: GateIO,
                 inspector: Inspector, records: Records, hub: StatusHub,
                 on_visit_done: Callable[[str], Awaitable[None] | None] | None = None) -> None:
        self.cfg, self.clock, self.scale, self.gateio = cfg, clock, scale, gateio
        self.inspector, self.records, self.hub = inspector, records, hub
        self.on_visit_done = on_visit_done
        self.state = LaneState()
        self.plates: asyncio.Queue[str] = asyncio.Queue(maxsize=16)
        self._events: asyncio.Queue[Event] = asyncio.Queue(maxsize=16)
        self._admission: Admission | None = None
        self._inspection: asyncio.Task[None] | None = None
        self._status = LaneStatus(lane=cfg.id)
        hub.publish(self._status)  # the lane exists for the kiosk from the start
        self._fault: str | None = None
        self._open = {"entry": False, "plant": False, "return": False}
        self._pending: list[Barrier] = []      # barrier commands the I/O module did not take yet
        self._epoch: int | None = None
        self._refused_at: float | None = None
        self._store_fault: str | None = None
        self.visits_done = 0
        self.verdicts: dict[str, int] = {}    # inspection outcomes since start, for /metrics
        self._driver_out = False          # latched from the kiosk pushbutton, per pass
        self._confirm_was = True          # a button already held at start is no press
        self._last: Readings | None = None
        inspector.interlocks = self.interlock_failures
        inspector.holds = lambda: self.state.holds
        self.heartbeat = 0.0

    def identify(self, plate: str) -> None:
        """An identification event (RFID, plate camera, kiosk code). Drops when flooded."""
        if not self.plates.full():
            self.plates.put_nowait(plate)

    async def run(self, stop: asyncio.Event) -> None:
        tick = max(self.cfg.scale.frame_period_s, self.clock.speed * 0.005)
        await self.gateio.close_all()  # start from the safe state: barriers down, lights red
        while not stop.is_set():
            self.heartbeat = self.clock.now()
            try:
                await self._tick()
            except (SQLAlchemyError, OSError) as exc:
                # The store refused a record (disk full, read-only, locked): whatever that record
                # would have justified does not happen, and no new truck is admitted.
                log.error("lane %s out of service, a record could not be written: %s", self.cfg.id, exc)
                self._store_fault = f"store:{type(exc).__name__}"
                self._publish(None)
            await self.clock.sleep(tick)
        if self._inspection is not None:
            self._inspection.cancel()

    async def _tick(self) -> None:
        while not self._events.empty():
            await self._apply(self._events.get_nowait())
        readings = await self._read()
        if readings is not None:
            await self._apply(readings)
        await self._admit_next()
        self._publish(readings)

    async def _read(self) -> Readings | None:
        try:
            inputs = await self.gateio.read_inputs()
        except Exception as exc:
            if self._fault is None and self.state.phase is not Phase.IDLE:
                # Gratings and loops unseen: the truck's position can no longer be vouched for.
                await self._apply(DeviceFault(self.clock.now(), "gate_io_lost"))
            self._fault = f"gate_io:{exc}"
            return None
        self._fault = None
        await self._retry_pending()
        # Only a press (a rising edge) counts: a button stuck on, or still held by the driver
        # before, must not let the probe move over this truck.
        pressed = inputs.driver_confirm and not self._confirm_was
        self._confirm_was = inputs.driver_confirm
        if pressed and self.state.phase in (Phase.WEIGHING, Phase.INSPECTING):
            self._driver_out = True
        reading = self.scale.latest()
        await self._watch_indicator(reading)
        weight, motion = frame_to_kg(reading.frame if reading.known else None)
        self._last = Readings(now=self.clock.now(), weight_kg=weight, motion=motion,
                              front_blocked=inputs.front_blocked, rear_blocked=inputs.rear_blocked,
                              deck_occupied=inputs.deck_occupied, entry_loop=inputs.entry_loop)
        return self._last

    async def _watch_indicator(self, reading) -> None:
        """A reconnected port or a power-up frame means the indicator restarted under a truck."""
        epoch = getattr(reading, "epoch", None)
        reset = (self._epoch is not None and epoch != self._epoch) or bool(
            reading.known and reading.frame is not None and reading.frame.power_up)
        self._epoch = epoch
        if reset and self.state.phase not in (Phase.IDLE, Phase.ROUTING):
            await self._apply(DeviceFault(self.clock.now(), "indicator_reset"))

    async def _retry_pending(self) -> None:
        pending, self._pending = self._pending, []
        for command in pending:
            await self._move_barrier(command)

    async def interlock_failures(self) -> list[str]:
        """Asked by the inspector before the probe may move; any doubt refuses."""
        s, r = self.state, self._last
        steady = (r is not None and r.weight_kg is not None and s.weight_kg is not None and not r.motion
                  and self.state.positioned
                  and abs(r.weight_kg - s.weight_kg) <= self.cfg.weighing.stable_band_kg)
        try:
            closed = await self.gateio.all_closed()
            boom = await self.inspector.sampler.boom_clear()
        except Exception as exc:  # an unreadable device is a refusing interlock
            log.warning("interlock read failed: %s", exc)
            closed = boom = False
        view = InterlockView(weight_recorded=s.phase is Phase.INSPECTING and s.weight_kg is not None,
                             truck_steady=steady, barriers_closed=closed, driver_out=self._driver_out,
                             boom_clear=boom)
        return failing(view)

    async def _admit_next(self) -> None:
        while not self.plates.empty():
            plate = self.plates.get_nowait()
            if self.state.phase is not Phase.IDLE or not self.state.deck_zero or self._fault or self._store_fault:
                continue  # busy: the truck's reader will announce it again
            result = await asyncio.to_thread(self.records.admit, plate, self.cfg.id)
            if isinstance(result, Refusal):
                self._status = replace_status(self._status, plate=plate, reasons=[result.reason])
                self._refused_at = self.clock.now()
                log.info("lane %s refused %s: %s", self.cfg.id, plate, result.reason)
                continue
            self._admission = result
            self._driver_out = False
            holds: list[str] = []
            if result.kind == "in":
                window = self.clock.wall(self.cfg.weighing.repeat_window_s)
                holds = await asyncio.to_thread(self.records.checks_at_admission, result.visit, window)
            await self._apply(Admitted(self.clock.now(), result.visit, plate, result.kind, tuple(holds)))
            return

    async def _apply(self, event: Event) -> None:
        self.state, commands = step(self.state, event, self.cfg.weighing)
        for command in commands:
            await self._execute(command)

    async def _execute(self, command: Command) -> None:
        if isinstance(command, RecordWeight):
            await asyncio.to_thread(self.records.record_weight, command.visit, command.kind,
                                    command.weight_kg, self.cfg.scale.port)
            if command.kind == "out":
                found = await asyncio.to_thread(self.records.checks_at_weigh_out, command.visit,
                                                command.weight_kg, self.cfg.weighing.tare_tolerance_kg)
                if found:
                    await asyncio.to_thread(self.records.record_decision, command.visit, "review", found, None)
                await self._visit_done(command.visit)
        elif isinstance(command, RecordHold):
            await asyncio.to_thread(self.records.record_decision, command.visit, "review",
                                    list(command.reasons), None)
        elif isinstance(command, RecordVoid):
            await asyncio.to_thread(self.records.record_decision, command.visit, "review",
                                    [command.reason], None)
            await self._visit_done(command.visit)
        elif isinstance(command, Inspect):
            assert self._admission is not None
            self._inspection = asyncio.create_task(self._inspect(self._admission))
        elif isinstance(command, Barrier):
            await self._move_barrier(command)
        elif isinstance(command, Refuse):
            log.info("lane %s: %s", self.cfg.id, command.reason)

    async def _move_barrier(self, command: Barrier) -> None:
        try:
            await self.gateio.set_barrier(command.name, command.open)
            crash_point(f"barrier_{command.name}_{'open' if command.open else 'closed'}")
            self._open[command.name] = command.open
            # The lights follow the barriers: green only where the driver may go now.
            exit_open = self._open["plant"] or self._open["return"]
            await self.gateio.set_lights(entry="green" if self._open["entry"] else "red",
                                         exit="green" if exit_open else "red")
        except Exception as exc:  # module gone: keep the command, retry when it answers again
            log.warning("lane %s: barrier %s not taken: %s", self.cfg.id, command.name, exc)
            self._fault = f"gate_io:{exc}"
            self._pending.append(command)

    async def _inspect(self, adm: Admission) -> None:
        limit = self.clock.wall(self.cfg.sampler.timeout_s + 2 * self.cfg.camera.timeout_s)
        try:
            outcome = await asyncio.wait_for(self.inspector.inspect(adm), timeout=limit)
            verdict, reasons = outcome.verdict, outcome.reasons
        except Exception as exc:  # timeout or a bug: the truck is held, never passed
            log.exception("inspection of %s failed", adm.visit)
            reasons = ("inspection_timeout",) if isinstance(exc, TimeoutError) else (f"inspection_error:{exc}",)
            verdict = "review"
            await asyncio.to_thread(self.records.record_decision, adm.visit, verdict, list(reasons), None)
        key = verdict or "unsampled"
        self.verdicts[key] = self.verdicts.get(key, 0) + 1
        await self._events.put(InspectionDone(self.clock.now(), verdict, reasons))

    async def _visit_done(self, visit: str) -> None:
        self.visits_done += 1
        if self.on_visit_done is not None:
            result = self.on_visit_done(visit)
            if asyncio.iscoroutine(result):
                await result

    def _publish(self, readings: Readings | None) -> None:
        s = self.state
        adm = self._admission if s.visit and self._admission and self._admission.visit == s.visit else None
        status = LaneStatus(
            lane=self.cfg.id, step=self._step_name(), visit=s.visit,
            plate=s.plate or (self._status.plate if self._refusal() else None),
            material=adm.material if adm else None,
            weight_kg=readings.weight_kg if readings else None,
            weight_stable=None if readings is None or readings.motion is None else not readings.motion,
            verdict=s.verdict, reasons=list(s.reasons) if s.visit else self._refusal(),
            fault=self._store_fault or self._fault,
        )
        if status.model_dump(exclude={"updated_at"}) != self._status.model_dump(exclude={"updated_at"}):
            self._status = status
            self.hub.publish(status)

    def _refusal(self) -> list[str]:
        """A refusal stays on the kiosk for a while, then the lane invites the next truck."""
        if self._refused_at is None or self.clock.now() - self._refused_at > REFUSAL_SHOWN_S:
            return []
        return list(self._status.reasons)

    def _step_name(self) -> LaneStep:
        s = self.state
        if self._fault or self._store_fault:
            return LaneStep.OUT_OF_SERVICE
        if s.phase is Phase.ENTERING:
            return LaneStep.ARRIVING
        if s.phase is Phase.WEIGHING:
            if not s.positioned:
                return LaneStep.POSITIONING
            return LaneStep.WEIGHING_IN if s.kind == "in" else LaneStep.WEIGHING_OUT
        if s.phase is Phase.INSPECTING:
            return LaneStep.SAMPLING
        if s.phase is Phase.ROUTING:
            return LaneStep.DECIDED if s.kind == "in" else LaneStep.LEAVING
        return LaneStep.IDLE


def replace_status(status: LaneStatus, **changes: object) -> LaneStatus:
    return status.model_copy(update=changes)
