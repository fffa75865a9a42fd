"""Runs the demo plant with injected faults and checks the fail-safe invariants afterwards.

The invariants, after every scenario:
  1. the run returns, and every registered truck left the plant (none stuck on the deck);
  2. every visit a truck made has a decision row (a recorded terminal state);
  3. no visit of a fault-touched truck has a PASS decision;
  4. every recorded weight is the truth within one indicator division (no wrong weight);
  5. the audit chain verifies (intake.store.audit.verify over the whole chain).
"""
from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import create_engine
from sqlmodel import Session, select

from hardware.sim.plant import PlantTiming
from hardware.sim.trucks import TruckScenario, demo_trucks
from intake.demo.runner import DEMO_CONFIG, PROJECT_ROOT, DemoOptions, run_demo
from intake.lane.status import LaneStatus, LaneStep
from intake.store.audit import verify
from intake.store.keys import load_key
from intake.store.tables import Decision, Vehicle, Visit, Weighing

from .injector import FaultInjector, FaultSpec

DIVISION_KG = 20
RUN_TIMEOUT_S = 120.0   # wall seconds; a truck that never reaches a terminal state trips it


@dataclass
class VisitRecord:
    visit: str
    weights: dict[str, int]
    verdicts: list[str | None]      # every decision row, oldest first
    reasons: list[list[str]]

    @property
    def verdict(self) -> str | None:
        return self.verdicts[-1] if self.verdicts else None


@dataclass
class Outcome:
    code: int
    trucks: list[TruckScenario]
    summaries: list[dict]
    fired: list[FaultSpec]
    visits: dict[str, list[VisitRecord]] = field(default_factory=dict)   # plate -> visits
    chain_ok: bool = False
    chain_problems: list[str] = field(default_factory=list)
    gate: Any = None                 # the gate as it was at the end (watchdog, lanes, health)
    fired_at: list[float] = field(default_factory=list)   # simulated time each fault fired
    devices: dict[str, Any] = field(default_factory=dict)  # the device simulators ("sampler", "gateio")

    def of(self, truck: int) -> list[VisitRecord]:
        return self.visits.get(self.trucks[truck].plate, [])

    def first(self, truck: int) -> VisitRecord:
        return self.of(truck)[0]


def write_config(tmp: Path, model: Path | None = None) -> Path:
    """The demo's config with a private audit key (and optionally another model file)."""
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    text = text.replace('audit_key = "file:var/demo/audit.key"', f'audit_key = "file:{tmp / "audit.key"}"')
    if model is not None:
        text = text.replace('path = "models/intake-classifier/model.onnx"', f'path = "{model}"')
    path = tmp / "gate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_scenario(tmp: Path, trucks: int, faults: list[FaultSpec], model: Path | None = None,
                 rate: float = 1.0, setup: Callable[[Any], None] | None = None,
                 timing: PlantTiming = PlantTiming(), config_text: Callable[[str], str] | None = None,
                 lanes: int = 1) -> Outcome:
    """`setup(gate)` runs once the gate is open, before its lanes start (e.g. watchdog periods);
    `config_text` may change the scenario's gate.toml. With `lanes` > 1 the trucks are dealt to
    the decks in turn and the faults reach the first deck (its trucks are 0, lanes, 2 x lanes...)."""
    fired: list[FaultSpec] = []
    fired_at: list[float] = []
    devices: dict[str, Any] = {}
    out: list[dict] = []
    gates: list[Any] = []
    config = write_config(tmp, model)
    if config_text is not None:
        config.write_text(config_text(config.read_text(encoding="utf-8")), encoding="utf-8")
    db = f"sqlite:///{tmp / 'gate.db'}"

    def on_fault(spec: FaultSpec, now: float) -> None:
        fired.append(spec)
        fired_at.append(now)

    injector = FaultInjector(tuple(faults), on_fault)
    opts = DemoOptions(trucks=trucks, speed=50, db=db, web=False, config=config, sampling_rate=rate,
                       data_dir=tmp / "data", plugins=(injector,) if faults else (),
                       pluggable_scale=injector.needs_pluggable_scale, fixed_io_port=injector.needs_fixed_io_port,
                       plant_timing=timing, on_devices=devices.update, lanes=lanes)

    def on_gate(gate: Any, _url: str | None) -> None:
        gates.append(gate)
        if setup is not None:
            setup(gate)

    code = asyncio.run(asyncio.wait_for(run_demo(opts, out.append, on_gate=on_gate), timeout=RUN_TIMEOUT_S))
    outcome = Outcome(code, demo_trucks(trucks), out, fired, gate=gates[0] if gates else None,
                      fired_at=fired_at, devices=devices)
    _read_back(outcome, db, tmp / "audit.key")
    return outcome


def _read_back(outcome: Outcome, db: str, key_file: Path) -> None:
    engine = create_engine(db)
    try:
        with Session(engine) as session:
            for visit, plate in session.exec(select(Visit, Vehicle.plate).where(Visit.vehicle_id == Vehicle.id)
                                             .order_by(Visit.opened_at)):
                weights = {w.kind: w.weight_kg for w in
                           session.exec(select(Weighing).where(Weighing.visit_id == visit.id))}
                decisions = session.exec(select(Decision).where(Decision.visit_id == visit.id)
                                         .order_by(Decision.id)).all()
                outcome.visits.setdefault(plate, []).append(VisitRecord(
                    visit.id, weights, [d.verdict for d in decisions], [list(d.reasons) for d in decisions]))
        report = verify(engine, load_key(f"file:{key_file}"))
        outcome.chain_ok = report.ok
        outcome.chain_problems = [f"{p.kind} seq={p.seq} {p.table}:{p.pk} {p.detail}" for p in report.problems]
    finally:
        engine.dispose()


def check_invariants(o: Outcome, touched: set[int], fired: int = 1) -> None:
    """The fail-safe invariants; `touched` are the indices of the trucks a fault reached;
    `fired` how many injected faults must have fired (0 for faults set up in the config)."""
    assert len(o.fired) >= fired, f"the fault never fired: {o.fired}"
    assert o.code == 0, "a registered truck never left the plant"
    for i, truck in enumerate(o.trucks):
        visits = o.of(i)
        if not truck.registered:
            assert not visits, f"unregistered {truck.plate} got a visit"
            continue
        assert visits, f"truck {i} {truck.plate} has no visit"
        for v in visits:
            assert v.verdicts, f"truck {i} visit {v.visit} has no decision row: not terminal"
            if i in touched:
                assert v.verdict != "pass", f"fault-touched truck {i} PASSED: {v}"
                if "pass" in v.verdicts and "out" in v.weights:
                    # A PASS recorded just before the fault was superseded by a hold before the
                    # barrier moved: the load must have left with the truck, never at the plant.
                    loaded = truck.tare_kg + truck.load_kg
                    assert abs(v.weights["out"] - loaded) <= DIVISION_KG, f"held load unloaded: {v}"
            _check_weights(truck, v)
    assert o.chain_ok, o.chain_problems


def _check_weights(truck: TruckScenario, v: VisitRecord) -> None:
    loaded = truck.tare_kg + truck.load_kg
    for kind, kg in v.weights.items():
        assert isinstance(kg, int)
        truths = (loaded,) if kind == "in" else (loaded, truck.tare_kg)
        assert min(abs(kg - t) for t in truths) <= DIVISION_KG, f"wrong {kind} weight {kg} for {truck}: {v}"


# Drivers facing a lane closed for a latched fault wait for the technician (simulated seconds,
# 30 s of wall time at 50x: a technician's command starting on a loaded machine fits in it).
PATIENT = PlantTiming(give_up_after_s=1500.0)


def long_cycle(config: str) -> str:
    """Six probe points instead of three: a 58 s sampler cycle (8 s a point, 10 s to unload)
    instead of 34 s, so a heartbeat frozen a few seconds in is found stale while the probe is
    still out, past the 25 s the gate allows a heartbeat at 50x (intake/lane/pacing.py)."""
    return config.replace("points = 3", "points = 6")


@dataclass
class Technician:
    """Puts a latched lane back in service the way a technician does: once the lane is idle,
    out of service and waiting for a reset, and has stayed so `look_s` (simulated), runs
    `intake lane reset` as its own process against the scenario's store. Its `setup` is a
    run_scenario setup; it records every status the lane published. With `too_early`, it also
    tries once while the fault is still active (the gate must refuse that one)."""
    tmp: Path
    look_s: float = 20.0
    too_early: bool = False
    statuses: list[LaneStatus] = field(default_factory=list)
    resets: list[subprocess.CompletedProcess[str]] = field(default_factory=list)
    early: list[subprocess.CompletedProcess[str]] = field(default_factory=list)
    _busy: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def setup(self, gate: Any) -> None:
        publish = gate.hub.publish

        def recording(status: LaneStatus) -> None:
            self.statuses.append(status)
            publish(status)
            if self.too_early and status.fault and not status.awaiting_reset and not self._threads:
                thread = threading.Thread(target=lambda: self.early.append(self._command()), daemon=True)
                self._threads.append(thread)
                thread.start()
            elif status.awaiting_reset and status.step is LaneStep.OUT_OF_SERVICE and status.visit is None \
                    and not self._busy.is_set():
                self._busy.set()
                thread = threading.Thread(target=self._reset, args=(gate.clock,), daemon=True)
                self._threads.append(thread)
                thread.start()
        gate.hub.publish = recording

    def _reset(self, clock: Any) -> None:
        until = clock.now() + self.look_s
        while clock.now() < until:      # the simulated clock: the technician takes a look first
            time.sleep(0.01)
        self.resets.append(self._command())
        self._busy.clear()

    def _command(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "intake", "lane", "reset", "1", "--by", "technician Wang", "--wait", "60",
             "--db", f"sqlite:///{self.tmp / 'gate.db'}", "--config", str(self.tmp / "gate.toml")],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)

    def done(self) -> None:
        for thread in self._threads:
            thread.join(timeout=120)
