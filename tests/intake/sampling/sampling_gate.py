"""A gate database on a real SQLite file with the demo's suppliers and trucks, and a helper that
runs one delivery through admission, weigh-in, the sampling decision, a verdict and weigh-out."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from hardware.sim.trucks import DEMO_MIX, TruckScenario
from intake.config import SamplingConfig
from intake.demo import masterdata
from intake.sampling.service import Decided, Sampling
from intake.store.db import open_engine
from intake.store.records import Admission, Records

KEY = b"test-site-audit-key-sampling-0123"
SITE = "Test plant"
SAND = [t for t in DEMO_MIX if masterdata.ordered_material(t) == "sand" and "·S" in t.plate]


@dataclass
class Gate:
    path: Path
    records: Records
    sampling: Sampling

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def deliver(self, truck: TruckScenario, now: datetime, verdict: str = "pass", loaded: bool = True,
                unavailable: Any = None) -> Decided:
        """`verdict` is what the inspection finds when the truck is sampled; a truck that is not
        sampled passes unchecked. Rejected trucks weigh out with their load (net 0).
        `unavailable`: the gate cannot inspect (e.g. "model_unavailable")."""
        adm = self.records.admit(truck.plate, "1")
        assert isinstance(adm, Admission) and adm.kind == "in"
        gross = truck.tare_kg + (truck.load_kg if loaded else 0)
        self.records.record_weight(adm.visit, "in", gross, "pty")
        decided = self.sampling.decide(adm.visit, adm.supplier, adm.material, adm.plate, adm.bed_mm, now=now,
                                        unavailable=unavailable)
        final = verdict if decided.selection.sampled else None
        self.records.record_decision(adm.visit, final, [], None)
        self.records.record_weight(adm.visit, "out", gross if final in ("reject", "review") else truck.tare_kg, "pty")
        return decided


def make_gate(path: Path, **sampling: Any) -> Gate:
    engine = open_engine(f"sqlite:///{path}", KEY)
    masterdata.seed(engine, list(DEMO_MIX))
    cfg = SamplingConfig(secret="blind-code-secret", **{"timezone": "Asia/Shanghai", **sampling})
    return Gate(path, Records(engine), Sampling(engine, cfg, SITE))
