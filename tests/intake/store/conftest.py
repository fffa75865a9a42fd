"""A gate database on a real SQLite file with a few trucks' records in it."""
from __future__ import annotations

import pytest

from hardware.sim.trucks import DEMO_MIX
from intake.demo import masterdata
from intake.store.db import open_engine
from intake.store.records import Admission, Records
from intake.store.tables import Frame, Inspection, Sample, SampleResult

KEY = b"test-site-audit-key-0123456789"


def fill(records: Records, trucks: int = 3) -> list[str]:
    """Each truck: weigh-in, sample, result, inspection with two frames, decision, weigh-out."""
    visits = []
    masterdata.seed(records.engine, list(DEMO_MIX[:trucks]))
    for i, truck in enumerate(DEMO_MIX[:trucks]):
        adm = records.admit(truck.plate, "1")
        assert isinstance(adm, Admission)
        records.record_weight(adm.visit, "in", truck.tare_kg + truck.load_kg, "pty")
        sample_id = records.record_sample(Sample(visit_id=adm.visit, blind_code=10_000_000 + i, draw=0.1 * i,
                                                 points_m=[[1.5, 0.7], [3.25, 1.1]]))
        records.record_sample_result(SampleResult(sample_id=sample_id, status="taken", mass_g=2400 + i))
        frames = [Frame(inspection_id=0, path=f"frames/{adm.visit}/{n:02d}.png", sha256="ab" * 32,
                        quality_ok=True, quality={"ok": True, "sharpness": 812.5}, label="clean_sand",
                        confidence=0.93) for n in range(2)]
        records.record_inspection(Inspection(sample_id=sample_id, model_sha256="cd" * 32, label="clean_sand",
                                             confidence=0.93, probs={"clean_sand": 0.93, "muddy": 0.07}), frames)
        records.record_decision(adm.visit, "pass", [], "clean_sand")
        records.record_weight(adm.visit, "out", truck.tare_kg, "pty")
        visits.append(adm.visit)
    return visits


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "gate.db"


@pytest.fixture
def filled(db_path) -> Records:
    records = Records(open_engine(f"sqlite:///{db_path}", KEY))
    fill(records)
    return records
