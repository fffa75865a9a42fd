"""Recompute a finished day's selections from its revealed seed and the recorded inputs.

For each site that sampled that day: the revealed seed must hash to the commitment, the
commitment must predate the day's first selection (and is reported as "in advance" when it also
predates the day itself), and every selection row must be exactly what the pure policy and
planner give for its recorded inputs and the seed: draw, mode, rate, reason, sampled, lot and
probe points (or the same plan error).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.sampling.keyed import commitment, draw, seed_from_hex
from intake.sampling.policy import Unavailable, select_truck
from intake.sampling.seeds import day_start, published
from intake.sampling.service import inputs_of, plan_points
from intake.sampling.tables import SamplingSelection


class Mismatch(BaseModel):
    model_config = ConfigDict(frozen=True)
    visit_id: str
    field: str
    recorded: Any
    recomputed: Any


class DayAudit(BaseModel):
    model_config = ConfigDict(frozen=True)
    site: str
    day: str
    selections: int
    sampled: int
    revealed: bool
    commitment_ok: bool
    committed_in_advance: bool
    problems: list[str]
    mismatches: list[Mismatch]

    @property
    def ok(self) -> bool:
        return self.revealed and self.commitment_ok and not self.problems and not self.mismatches


def recompute(row: SamplingSelection, seed: bytes) -> list[Mismatch]:
    """Differences between a recorded selection and what its inputs and the seed give. Pure."""
    params, history, spec = inputs_of(row)
    unavailable: Unavailable | None = "model_unavailable" if row.unavailable == "model_unavailable" else None
    again = select_truck(params, history, row.load_kg, draw(seed, row.visit_id), unavailable)
    points: list[list[float]] = []
    error = None
    if again.sampled and spec is not None:
        found, error = plan_points(seed, row.visit_id, (int(row.bed_mm[0]), int(row.bed_mm[1])), spec)
        points = [list(p) for p in found]
    pairs = {
        "draw": (row.draw, again.draw), "rate": (row.rate, again.rate), "mode": (row.mode, again.mode),
        "reason": (row.reason, again.reason), "sampled": (row.sampled, again.sampled),
        "lot_id": (row.lot_id, again.lot_id), "lot_no": (row.lot_no, history.lot_no),
        "supplier": (row.supplier, history.supplier), "material": (row.material, history.material),
        "points_m": ([list(map(float, p)) for p in row.points_m], points), "plan_error": (row.plan_error, error),
    }
    return [Mismatch(visit_id=row.visit_id, field=k, recorded=a, recomputed=b) for k, (a, b) in pairs.items() if a != b]


def audit_site_day(engine: Engine, site: str, day: date, tz: str) -> DayAudit:
    com, rev = published(engine, site, day)
    with Session(engine) as session:
        rows = list(session.exec(select(SamplingSelection).where(
            SamplingSelection.site == site, SamplingSelection.day == day.isoformat()).order_by(col(SamplingSelection.id))))
    problems: list[str] = []
    if com is None:
        problems.append("no commitment recorded for this day")
    seed = seed_from_hex(rev.seed_hex) if rev is not None else None
    if seed is None:
        problems.append("seed not revealed yet: run `intake sampling reveal` once the day is over")
    commitment_ok = bool(com and seed and commitment(seed) == com.sha256)
    if com and seed and not commitment_ok:
        problems.append("revealed seed does not match the recorded commitment")
    in_advance = bool(com and _utc(com.committed_at) < day_start(day, tz))
    if com and rows and _utc(com.committed_at) > _utc(rows[0].recorded_at):
        problems.append("commitment recorded after the day's first selection")
    mismatches = [m for row in rows for m in recompute(row, seed)] if seed is not None else []
    return DayAudit(site=site, day=day.isoformat(), selections=len(rows), sampled=sum(r.sampled for r in rows),
                    revealed=seed is not None, commitment_ok=commitment_ok, committed_in_advance=in_advance,
                    problems=problems, mismatches=mismatches)


def sites_of_day(engine: Engine, day: date) -> list[str]:
    with Session(engine) as session:
        return sorted(set(session.exec(select(SamplingSelection.site).where(
            SamplingSelection.day == day.isoformat())).all()))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
