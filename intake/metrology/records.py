"""Writing the metrology records. Each write is one committed transaction (commit before acting):
a calibration's record and its counter step commit first, the file is replaced after, so a
calibration can never be in force without its counter having risen."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from hardware.scale.calibration import CalibrationResult
from hardware.scale.verification import AccuracyClass, StepResult
from intake.metrology import calfile
from intake.metrology.counters import bump, changed, counters_in
from intake.metrology.tables import CalibrationRecord, VerificationRecord


def record_verification(engine: Engine, *, indicator: str, protocol: str, max_kg: Decimal,
                        e: Decimal, cls: AccuracyClass, in_service: bool, passed: bool,
                        results: list[StepResult], technician: str | None) -> VerificationRecord:
    with Session(engine) as session:
        cal, cfg = counters_in(session)
        record = VerificationRecord(indicator=indicator, protocol=protocol, max_kg=str(max_kg),
                                    e_kg=str(e), accuracy_class=cls.value, in_service=in_service,
                                    passed=passed, steps=[r.to_json() for r in results],
                                    technician=technician, cal_counter=cal, cfg_counter=cfg)
        session.add(record)
        session.commit()
        session.refresh(record)
        return record


# What of a calibration is sealable: a change in any of these is an adjustment (W11).
SEALED = ("transmitter", "max_kg", "e_kg", "gain_kg_per_count", "zero_counts")


def calibration_content(result: CalibrationResult, *, transmitter: str, max_kg: Decimal,
                        e: Decimal, counter: int, at: str) -> dict[str, Any]:
    assert result.fit is not None
    return {
        "format": 1, "transmitter": transmitter, "max_kg": str(max_kg), "e_kg": str(e),
        "gain_kg_per_count": result.fit.gain_kg_per_count, "zero_counts": result.fit.zero_counts,
        "worst_residual_e": result.fit.worst_residual_e, "counts_per_e": result.fit.counts_per_e,
        "points": [{"load_kg": p.load_kg, "counts": p.counts, "spread": p.spread}
                   for p in result.points],
        "calibration_counter": counter, "calibrated_at": at,
    }


@dataclass(frozen=True)
class Accepted:
    record: CalibrationRecord | None   # None: the new calibration equals the one in force
    counter: int
    backup: Path | None
    path: Path


def accept_calibration(engine: Engine, path: Path, result: CalibrationResult, *,
                       transmitter: str, max_kg: Decimal, e: Decimal, at: str,
                       technician: str | None) -> Accepted:
    """Record and raise the calibration counter, then put the file in force (with a backup)."""
    if not result.ok or result.fit is None:
        raise ValueError("only a calibration without problems can be accepted")
    previous = calfile.load(path) or {}
    with Session(engine) as session:
        draft = calibration_content(result, transmitter=transmitter, max_kg=max_kg, e=e,
                                    counter=0, at=at)
        changes = changed({k: previous.get(k) for k in SEALED if k in previous},
                          {k: draft[k] for k in SEALED})
        step = bump(session, "calibration", changes, f"intake scale calibrate ({transmitter})")
        if step is None:
            return Accepted(None, counters_in(session)[0], None, path)
        counter = step.value  # read before commit: committed rows expire
        content = dict(draft, calibration_counter=counter)
        data = calfile.render(content)
        record = CalibrationRecord(
            transmitter=transmitter, max_kg=str(max_kg), e_kg=str(e),
            gain_kg_per_count=result.fit.gain_kg_per_count, zero_counts=result.fit.zero_counts,
            worst_residual_e=result.fit.worst_residual_e, points=content["points"],
            file_name=path.name, file_sha256=calfile.sha256(data), cal_counter=counter,
            technician=technician)
        session.add(record)
        session.commit()
        session.refresh(record)
    backup = calfile.save_atomic(path, data)
    return Accepted(record, counter, backup, path)
