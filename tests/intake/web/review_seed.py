"""Writes realistic review data into a real SQLite store: master data, visits, weighings,
samples, inspections with real PNG frames (sha256 recorded), and gate decisions."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hardware.sim.trucks import DEMO_MIX
from intake.demo import masterdata
from intake.store.db import open_engine
from intake.store.tables import (
    Decision, DeliveryOrder, Frame, Inspection, Material, Sample, SampleResult, Supplier, Vehicle, Visit, Weighing,
)

AUDIT_KEY = b"test-audit-key-0123456789abcdef"


def make_engine(db_path: Path) -> Engine:
    """The store as the gate opens it (migrations, checks), with an audit key for chained rows."""
    return open_engine(f"sqlite:///{db_path}", AUDIT_KEY)


@dataclass(frozen=True)
class Seeded:
    visit: str
    inspection: int | None
    decision: int
    frames: list[int]


def seed_master(engine: Engine) -> None:
    masterdata.seed(engine, list(DEMO_MIX))


def _png(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    image = rng.integers(60, 200, size=(64, 64, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".png", image)
    assert ok
    return buf.tobytes()


def add_item(engine: Engine, data_dir: Path, *, plate: str, verdict: str | None, label: str | None,
             reasons: list[str], at: datetime, confidence: float = 0.9, frames: int = 2,
             probs: dict[str, float] | None = None, sampled: bool = True) -> Seeded:
    """One finished visit of the vehicle `plate`, decided at `at`."""
    with Session(engine) as session:
        vehicle = session.exec(select(Vehicle).where(Vehicle.plate == plate)).one()
        order = session.exec(select(DeliveryOrder).where(DeliveryOrder.vehicle_id == vehicle.id)).first()
        assert order is not None and vehicle.id is not None and order.id is not None
        visit = Visit(id=str(uuid.uuid4()), lane="1", vehicle_id=vehicle.id, order_id=order.id, opened_at=at)
        session.add(visit)
        session.flush()
        session.add(Weighing(visit_id=visit.id, kind="in", weight_kg=32_480, scale_port="pty", recorded_at=at))
        inspection_id, frame_ids = None, []
        if sampled:
            sample = Sample(visit_id=visit.id, blind_code=12_345_678, draw=0.1,
                            points_m=[[1.2, 0.6], [3.6, 1.7], [6.0, 1.0]], recorded_at=at)
            session.add(sample)
            session.flush()
            assert sample.id is not None
            session.add(SampleResult(sample_id=sample.id, status="taken", mass_g=2_400, recorded_at=at))
            inspection = Inspection(sample_id=sample.id, model_sha256="ab" * 32, label=label,
                                    confidence=confidence if label else None, probs=probs or {},
                                    frames_agree=True, faults=[], recorded_at=at)
            session.add(inspection)
            session.flush()
            assert inspection.id is not None
            inspection_id = inspection.id
            rows = []
            for i in range(frames):
                data = _png(inspection.id * 10 + i)
                rel = Path("frames") / visit.id / f"{i:02d}.png"
                (data_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                (data_dir / rel).write_bytes(data)
                row = Frame(inspection_id=inspection.id, path=str(rel), sha256=hashlib.sha256(data).hexdigest(),
                            quality_ok=True, quality={"ok": True, "reasons": [], "sharpness": 210.0,
                                                      "mean_luma": 120.0}, label=label, confidence=confidence)
                session.add(row)
                rows.append(row)
            session.flush()
            frame_ids = [r.id for r in rows if r.id is not None]
        decision = Decision(visit_id=visit.id, verdict=verdict, reasons=reasons, label=label,
                            decided_at=at + timedelta(seconds=30))
        session.add(decision)
        session.commit()
        assert decision.id is not None
        return Seeded(visit.id, inspection_id, decision.id, frame_ids)


def plates() -> tuple[str, str]:
    """(a sand truck's plate, a gravel truck's plate) from the demo mix."""
    sand = next(t.plate for t in DEMO_MIX if "·S" in t.plate)
    gravel = next(t.plate for t in DEMO_MIX if "·S" not in t.plate)
    return sand, gravel


# The seeds' "today": a fixed instant, so what the tests assert cannot depend on the hour
# they run at (a noon-of-today base made retention counts differ before and after noon).
SEED_NOW = datetime(2026, 3, 18, 12, 0, tzinfo=timezone.utc)


def day(n: int) -> datetime:
    """Noon (UTC) n days before the seeds' fixed today."""
    return SEED_NOW - timedelta(days=n)


def supplier_codes(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {s.code: s.name for s in session.exec(select(Supplier))}


def material_codes(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [m.code for m in session.exec(select(Material))]


def add_selection(engine: Engine, visit: str, *, supplier: str, material: str, lot_no: int, sampled: bool,
                  at: datetime) -> None:
    """The sampling plan's record for one truck of `visit`: its lot and whether it was sampled."""
    from intake.sampling.tables import SamplingSelection

    with Session(engine) as session:
        session.add(SamplingSelection(
            visit_id=visit, site="test", day=at.date().isoformat(), supplier=supplier, material=material,
            history={}, params={"rate": 0.2, "lot_size_kg": 600_000}, load_kg=30_000, bed_mm=[7200, 2350],
            draw=0.1 if sampled else 0.9, rate=0.2, mode="normal", reason="drawn" if sampled else "not_drawn",
            sampled=sampled, lot_id=f"{supplier}/{material}/{lot_no}", lot_no=lot_no,
            points_m=[[1.2, 0.6]] if sampled else [], recorded_at=at))
        session.commit()
