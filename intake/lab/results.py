"""Blind sample codes and lab results.

The lab sees only the blind code printed on the sample bag; results are attached to that code
later and are records (append-only, chained). They show on the inspection and are the ground
truth labels the next model is trained and evaluated on.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Optional

from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from intake.store.tables import Decision, DeliveryOrder, Inspection, Material, Sample, Visit


class LabResult(SQLModel, table=True):
    __chained__ = True
    id: Optional[int] = Field(default=None, primary_key=True)
    blind_code: int = Field(index=True)
    property: str                      # e.g. silt_pct, clay_lumps_pct, fineness_modulus, moisture_pct
    value: str                         # decimal text as the lab reported it: no float rounding
    unit: str
    lab: str
    verdict: Optional[str] = None      # the lab's own pass/fail for the material, if it gives one
    recorded_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))


class LabError(ValueError):
    pass


@dataclass(frozen=True)
class SampleInfo:
    code: int
    sample_id: int
    visit_id: str
    material: str
    taken_at: datetime
    inspection_id: int | None
    verdict: str | None


def find_sample(engine: Engine, code: int) -> SampleInfo:
    with Session(engine) as session:
        sample = session.exec(select(Sample).where(Sample.blind_code == code)).first()
        if sample is None or sample.id is None:
            raise LabError(f"no sample with code {code}")
        visit = session.get(Visit, sample.visit_id)
        order = session.get(DeliveryOrder, visit.order_id) if visit else None
        material = session.get(Material, order.material_id) if order else None
        inspection = session.exec(select(Inspection.id).where(Inspection.sample_id == sample.id)).first()
        decision = session.exec(select(Decision).where(Decision.visit_id == sample.visit_id)
                                .order_by(Decision.id.desc())).first()  # type: ignore[union-attr]
    return SampleInfo(code, sample.id, sample.visit_id, material.code if material else "?", sample.recorded_at,
                      inspection, decision.verdict if decision else None)


def attach_result(engine: Engine, code: int, prop: str, value: str, unit: str, lab: str,
                  verdict: str | None = None) -> LabResult:
    find_sample(engine, code)  # results only for samples the gate took
    try:
        Decimal(value)
    except InvalidOperation as exc:
        raise LabError(f"value {value!r} is not a number") from exc
    if verdict not in (None, "pass", "fail"):
        raise LabError("verdict must be pass or fail")
    row = LabResult(blind_code=code, property=prop, value=value, unit=unit, lab=lab, verdict=verdict)
    with Session(engine) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def results_for(engine: Engine, code: int) -> list[LabResult]:
    with Session(engine) as session:
        return list(session.exec(select(LabResult).where(LabResult.blind_code == code).order_by(col(LabResult.id))))
