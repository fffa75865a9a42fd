"""Wiring: one GateConfig -> running lanes with real device clients. Used by `intake run` and,
with simulator addresses filled in, by `intake demo`.

Start-up is an ordered list of steps; shutdown undoes them in reverse.
"""
from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Awaitable, Callable

from hardware.camera.capture import Camera
from hardware.ident.reader import RfidReader
from hardware.ident.rfid import TagRead
from hardware.modbus.gateio import GateIOClient, GateIOError
from hardware.modbus.plan import SamplePlan
from hardware.modbus.sampler import SamplerClient, SamplerError
from hardware.scale.reader import ScaleReader
from hardware.clock import Clock
from intake.config import GateConfig, LaneConfig, SamplerConfig
from intake.ident import tags
from intake.inspection import Inspector
from intake.lane.driver import INSPECTION_GRACE_S, LANE_HANG_S, LaneDriver
from intake.lane.pacing import paced
from intake.lane.status import StatusHub
from intake.memory import tune_malloc
from intake.store.startup import open_store
from intake.store.records import Records
from intake.ticket.desk import TicketDesk
from intake.watchdog import Watchdog
from vision.classifier import ModelError
from vision.pool import InferencePool, PooledModel, machine_cores, pool_size

log = logging.getLogger(__name__)


class ModbusSampler:
    """The inspector's view of the sampler PLC: one call per sample, timeouts from config."""

    def __init__(self, client: SamplerClient, cfg: SamplerConfig, clock: Clock) -> None:
        self.client, self.cfg, self.clock = client, cfg, clock

    async def take(self, code: int, points_mm: list[tuple[int, int]], bed_mm: tuple[int, int],
                   guard: Callable[[], Awaitable[list[str]]] | None = None,
                   progress: Callable[[int, int], None] | None = None) -> int:
        plan = SamplePlan.of(code, points_mm, bed_mm)
        # Poll the PLC every 0.2 simulated s, but at most every 5 ms of wall time on a fast clock;
        # the interlocks are asked at every poll.
        result = await self.client.run_sample(plan, clock=self.clock, timeout_s=self.cfg.timeout_s,
                                              heartbeat_timeout_s=self.cfg.heartbeat_timeout_s,
                                              poll_s=max(self.cfg.poll_s, self.clock.speed * 0.005), guard=guard,
                                              progress=progress)
        return result.sample_grams

    async def boom_clear(self) -> bool:
        return (await self.client.read_status()).boom_clear

    async def stop(self) -> None:
        await self.client.stop()


@dataclass
class ModelState:
    classifier: PooledModel | None
    sha256: str | None = None
    abstain_below: float = 0.0
    problem: str | None = None   # why there is no classifier: shown on /health and the kiosk


def inference_pool(cfg: GateConfig) -> InferencePool:
    """The one pool of ONNX sessions all lanes borrow from, sized by `[model]` or the machine."""
    m = cfg.model
    size = pool_size(machine_cores(), len(cfg.lanes), m.sessions, m.intra_op_threads)
    log.info("inference pool: %d session(s) of %d thread(s) for %d lane(s)", size.sessions,
             size.intra_op_threads, len(cfg.lanes))
    return InferencePool(size, wait_s=m.inference_deadline_s)


def load_model(cfg: GateConfig, pool: InferencePool, path: Path | None = None) -> ModelState:
    """A missing or damaged model does not stop the weighing; a truck the plan draws is then
    recorded not sampled ("model_unavailable") and not probed (intake.inspection).
    `path`: the model in service by the registry (intake.learning), else `model.path`."""
    try:
        clf = pool.load(path or cfg.model.path)
    except ModelError as exc:
        log.error("model unavailable: drawn trucks are recorded not sampled, never probed: %s", exc)
        return ModelState(None, problem=str(exc))
    return ModelState(clf, clf.card.sha256, float(clf.card.abstain_confidence))


@dataclass
class Gate:
    cfg: GateConfig
    clock: Clock
    hub: StatusHub
    records: Records
    model: ModelState
    lanes: list[LaneDriver] = field(default_factory=list)
    prompts: Any = None   # intake.prompts.PromptAnnouncer once the lanes run
    watchdog: Watchdog = field(default_factory=Watchdog)
    lane_hang_s: float = LANE_HANG_S          # wall s without a heartbeat: the loop is hung
    inspection_grace_s: float = INSPECTION_GRACE_S
    link: Any = None      # intake.sync.client.LinkStatus while `intake run` syncs to a centre
    tickets: Any = None   # intake.ticket.desk.TicketDesk: a ticket after each weigh-out
    follower: Any = None  # intake.learning.live.ModelFollower: the model the registry has in service
    evidence: Any = None  # intake.evidence.desk.EvidenceDesk: deck snapshots at every weighing, when configured
    pool: InferencePool | None = None   # the ONNX sessions every lane borrows (vision/pool.py)

    def model_problem(self) -> str | None:
        """Why no model is in service now (None: one is), after a promotion too."""
        return self.follower.problem if self.follower is not None else self.model.problem

    def problems(self) -> list[tuple[str, str]]:
        """What the gate cannot do now, as (code, detail): the staff pages' degraded banner."""
        problem = self.model_problem()
        return [("model_unavailable", problem)] if problem else []

    def health(self) -> dict[str, object]:
        problem = self.model_problem()
        report: dict[str, object] = {"model": problem or "ok", "lanes_running": len(self.lanes)}
        if problem:   # what it means for the trucks, in the words the decisions record
            report["sampling"] = "not sampled: model unavailable"
        ages = {lane.cfg.id: round(self.clock.wall(self.clock.now() - lane.heartbeat), 2) for lane in self.lanes}
        report["heartbeat_age_s"] = ages   # wall seconds since each lane loop last ran
        report["loops"] = self.watchdog.report()   # each watched loop: ok / down (why) / failed
        link = self.link.health() if self.link is not None else {}
        report.update({k: v for k, v in link.items() if k != "status"})
        evidence = self.evidence.health() if self.evidence is not None else None
        if evidence is not None:
            report["evidence"] = evidence   # deck snapshots: a stopped worker photographs nothing
        if problem or not self.watchdog.healthy() or link.get("status") == "degraded" or \
                (evidence is not None and evidence["worker"] != "ok"):
            report["status"] = "degraded"  # weighing may go on; samples, a lane or the sync are held
        return report


async def open_gate(cfg: GateConfig, clock: Clock, stack: AsyncExitStack,
                    on_visit_done: Callable[[str], Awaitable[None] | None] | None = None,
                    on_refused: Callable[[str, str, str], None] | None = None) -> Gate:
    """Connect every device of every lane; everything opened is closed by `stack`.
    `on_visit_done(visit)` once a visit is over, `on_refused(lane, plate, reason)` once per
    truck refused at the entry."""
    tuned = tune_malloc()   # before the worker threads make their arenas (intake/memory.py)
    if tuned:
        log.info("malloc set for a long run: %s", tuned)
    records = Records(open_store(cfg.site))  # key, quick_check, migrations, chain tail, recovery
    stack.callback(records.engine.dispose)
    _note_configuration(cfg, records)
    pool = inference_pool(cfg)
    gate = Gate(cfg, clock, StatusHub(), records, load_model(cfg, pool, _in_service(cfg, records)), pool=pool)
    gate.follower = _follower(cfg, records, gate.model, pool)
    gate.tickets = TicketDesk(cfg, records.engine)
    stack.push_async_callback(gate.tickets.drain)   # prints in progress finish before the store closes
    gate.evidence = _evidence(cfg, records, stack)
    for lane in cfg.lanes:
        refused = None if on_refused is None else partial(on_refused, lane.id)
        driver = await _open_lane(gate, lane, stack, gate.tickets.wrap(lane, on_visit_done), refused)
        if gate.evidence is not None and gate.evidence.has_cameras(lane.id):
            driver.on_weighed = gate.evidence.hand_over(lane.id)
        gate.lanes.append(driver)
        if lane.rfid is not None:
            _start_rfid(gate, lane, driver, stack)
    return gate


def _evidence(cfg: GateConfig, records: Records, stack: AsyncExitStack) -> Any:
    """The deck evidence worker (intake.evidence), started now and drained before the store closes."""
    from intake.evidence.desk import open_desk

    desk = open_desk(cfg, records.engine)
    if desk is not None:
        desk.start()
        stack.push_async_callback(desk.close)
    return desk


def _in_service(cfg: GateConfig, records: Records) -> Path:
    from intake.learning.registry import in_service

    return in_service(records.engine, cfg.site.data_dir, cfg.model.path).path


def _follower(cfg: GateConfig, records: Records, model: ModelState, pool: InferencePool) -> Any:
    from intake.learning.live import Loaded, ModelFollower

    # A promoted model is loaded into the same pool: one bound on inferences across the swap.
    return ModelFollower(records.engine, cfg.site.data_dir, cfg.model.path,
                         Loaded(model.sha256, model.classifier, model.problem), load=pool.load)


def _note_configuration(cfg: GateConfig, records: Records) -> None:
    """Legal metrology: a change of any weighing parameter raises the configuration counter."""
    from intake.metrology.counters import note_configuration

    sealable = {f"lane.{lane.id}.{key}": value for lane in cfg.lanes
                for key, value in {**lane.weighing.model_dump(), "protocol": lane.scale.protocol,
                                   "unit": lane.scale.unit, "confirm": lane.scale.confirm,
                                   "e_kg": lane.scale.e_kg, "model": lane.scale.model}.items()}
    note_configuration(records.engine, sealable, "gate start")


def _start_rfid(gate: Gate, lane: LaneConfig, driver: LaneDriver, stack: AsyncExitStack) -> None:
    """Tag reads arrive on the reader's thread; the plate lookup runs there, admission in the loop."""
    assert lane.rfid is not None
    loop = asyncio.get_running_loop()

    def on_tag(read: TagRead) -> None:
        try:
            plate = tags.plate_for_tag(gate.records.engine, read.tag)
        except Exception:  # the store is failing: the lane finds out and goes out of service
            log.exception("tag lookup failed")
            plate = None
        # An unknown card still reaches the lane, so the kiosk can say why it stays closed.
        loop.call_soon_threadsafe(driver.identify, plate or f"tag:{read.tag}")

    reader = RfidReader(lane.rfid.port, lane.rfid.protocol, on_tag, baudrate=lane.rfid.baud,
                        repeat_s=gate.clock.wall(lane.rfid.repeat_s))
    reader.start()
    stack.callback(reader.stop)
    driver.threads["rfid"] = reader   # watched by the watchdog with the lane's loops


def identify_on_lane(gate: Gate, lane_id: str, plate: str) -> bool:
    """Identification from outside the devices (plate camera webhook, kiosk code)."""
    for driver in gate.lanes:
        if driver.cfg.id == lane_id:
            driver.identify(plate)
            return True
    return False


async def _open_lane(gate: Gate, lane: LaneConfig, stack: AsyncExitStack,
                     on_visit_done: Callable[[str], Awaitable[None] | None] | None,
                     on_refused: Callable[[str, str], None] | None = None) -> LaneDriver:
    lane = paced(lane, gate.clock.speed)
    clock, sc = gate.clock, lane.scale
    poll = max(clock.wall(sc.poll_period_s), 0.005)
    # Wall seconds, with a jitter floor at high simulated speed; a polled indicator answers once
    # per poll, so its weight is stale after two polls, not two stream frames.
    period = max(clock.wall(sc.frame_period_s), poll if sc.polled else 0.0, 0.05)
    reader = ScaleReader(sc.port, sc.protocol, protocol_options=sc.decoder_options(),
                         baudrate=sc.baud, bytesize=sc.bytesize, parity=sc.parity, frame_period=period,
                         poll_period=poll)
    reader.start()
    stack.callback(reader.stop)
    gateio = GateIOClient(lane.gateio.host, lane.gateio.port, unit=lane.gateio.unit)
    stack.callback(gateio.close)
    sampler = SamplerClient(lane.sampler.host, lane.sampler.port, unit=lane.sampler.unit)
    stack.callback(sampler.close)
    for name, device in (("I/O module", gateio), ("sampler PLC", sampler)):
        try:
            await device.connect()
        except (GateIOError, SamplerError) as exc:
            # Absent at start: the link reconnects on each request. The lane stays closed with
            # the reason while its I/O module does not answer; a sample without its PLC is REVIEW.
            log.error("lane %s: %s not reachable at start (%s); the gate serves on", lane.id, name, exc)
    camera = Camera(lane.camera.source, timeout_s=lane.camera.timeout_s)
    m = gate.model
    inspector = Inspector(gate.cfg, lane, gate.records, ModbusSampler(sampler, lane.sampler, clock),
                          camera, m.classifier, m.sha256, m.abstain_below, clock)
    if gate.follower is not None:   # a promoted model from the next inspection on
        inspector.follow = gate.follower.current
    driver = LaneDriver(lane, clock, reader, gateio, inspector, gate.records, gate.hub, on_visit_done, on_refused)
    driver.threads["scale"] = reader
    return driver


async def run_lanes(gate: Gate, stop: asyncio.Event) -> None:
    from intake.prompts import PromptAnnouncer

    gate.prompts = PromptAnnouncer(gate.hub, [lane.cfg.id for lane in gate.lanes], gate.cfg.site.speak_prompts)
    for lane in gate.lanes:   # the watchdog starts, watches and restarts each lane's loops
        lane.supervise(gate.watchdog, stop, gate.lane_hang_s, gate.inspection_grace_s)
    await asyncio.gather(gate.prompts.run(stop), gate.watchdog.run(stop))
