"""What the inspection calls: decide whether a weighed-in truck is sampled and where, and record
the decision with all its inputs before anyone acts on it. Blocking (run it in a worker thread)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.config import SamplingConfig
from intake.sampling.history import expected_load_kg, load_history
from intake.sampling.keyed import draw, uniforms
from intake.sampling.points import Bed, PlanError, Point, PointSpec, place_points
from intake.sampling.policy import PolicyParams, Selection, SupplierHistory, Unavailable, select_truck
from intake.sampling.resolve import point_spec, policy_params
from intake.sampling.seeds import day_of, start_day
from intake.sampling.tables import SamplingSelection


@dataclass(frozen=True)
class Decided:
    """The recorded selection; `points_m` is set when sampled and a plan exists, otherwise
    `plan_error` says why not (the truck is sampled but cannot be probed: send it to REVIEW)."""
    selection: Selection
    points_m: tuple[Point, ...]
    plan_error: str | None
    day: date

    @property
    def points_mm(self) -> list[tuple[int, int]]:
        return [(round(x * 1000), round(y * 1000)) for x, y in self.points_m]


def plan_points(seed: bytes, visit_id: str, bed_mm: tuple[int, int], spec: PointSpec) -> tuple[tuple[Point, ...], str | None]:
    try:
        return place_points(uniforms(seed, visit_id), Bed(bed_mm[0] / 1000, bed_mm[1] / 1000), spec), None
    except PlanError as exc:
        return (), str(exc)


class Sampling:
    def __init__(self, engine: Engine, cfg: SamplingConfig, site: str) -> None:
        self.engine, self.cfg, self.site = engine, cfg, site

    def decide(self, visit_id: str, supplier: str, material: str, plate: str, bed_mm: tuple[int, int],
               now: datetime | None = None, unavailable: Unavailable | None = None) -> Decided:
        """Idempotent: a visit already decided gets its recorded decision back, never a new draw.
        `unavailable`: the gate cannot inspect a sample now (recorded as an input)."""
        recorded = self.recorded(visit_id)
        if recorded is not None:
            return recorded
        now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)   # the store keeps UTC
        day = day_of(now, self.cfg.timezone)
        seed = start_day(self.engine, self.site, day, now)
        params = policy_params(self.cfg, supplier, material)
        history = load_history(self.engine, supplier, material, params.lot_size_kg, params.rules.history_len)
        load_kg = expected_load_kg(self.engine, visit_id)
        selection = select_truck(params, history, load_kg, draw(seed, visit_id), unavailable)
        spec = point_spec(self.cfg, material, plate)
        points, error = plan_points(seed, visit_id, bed_mm, spec) if selection.sampled else ((), None)
        row = SamplingSelection(
            visit_id=visit_id, site=self.site, day=day.isoformat(), supplier=supplier, material=material,
            history=history.model_dump(mode="json"), params=params.model_dump(mode="json"), load_kg=load_kg,
            point_spec=spec.model_dump(mode="json"), bed_mm=list(bed_mm), unavailable=unavailable, draw=selection.draw,
            rate=selection.rate, mode=selection.mode, reason=selection.reason, sampled=selection.sampled,
            lot_id=selection.lot_id, lot_no=history.lot_no, points_m=[list(p) for p in points], plan_error=error,
            recorded_at=now)
        with Session(self.engine) as session:
            session.add(row)
            session.commit()
        return Decided(selection, points, error, day)

    def recorded(self, visit_id: str) -> Decided | None:
        with Session(self.engine) as session:
            row = session.exec(select(SamplingSelection).where(SamplingSelection.visit_id == visit_id)).first()
        return None if row is None else decided_from_row(row)


def decided_from_row(row: SamplingSelection) -> Decided:
    selection = Selection(sampled=row.sampled, reason=row.reason, draw=row.draw, rate=row.rate,  # type: ignore[arg-type]
                          mode=row.mode, lot_id=row.lot_id)  # type: ignore[arg-type]
    points = tuple((float(p[0]), float(p[1])) for p in row.points_m)
    return Decided(selection, points, row.plan_error, date.fromisoformat(row.day))


def inputs_of(row: SamplingSelection) -> tuple[PolicyParams, SupplierHistory, PointSpec | None]:
    spec = PointSpec.model_validate(row.point_spec) if row.point_spec is not None else None
    return PolicyParams.model_validate(row.params), SupplierHistory.model_validate(row.history), spec
