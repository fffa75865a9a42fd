"""The plan a vehicle would get (fresh random preview) or got (a recorded visit), as a PNG."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.config import SamplingConfig
from intake.sampling.points import Bed, Point, PointSpec
from intake.sampling.render import plan_png
from intake.sampling.resolve import point_spec
from intake.sampling.service import plan_points
from intake.sampling.tables import SamplingSelection
from intake.store.tables import DeliveryOrder, Material, Vehicle


@dataclass(frozen=True)
class PlanView:
    material: str
    bed_mm: tuple[int, int]
    points: tuple[Point, ...]
    error: str | None
    png: bytes


def plan_for(engine: Engine, cfg: SamplingConfig, plate: str, visit: str | None, preview_seed: bytes) -> PlanView | str:
    """A PlanView, or a message saying which input is wrong (unknown plate, visit, no order)."""
    with Session(engine) as session:
        vehicle = session.exec(select(Vehicle).where(Vehicle.plate == plate)).first()
        if vehicle is None:
            return f"unknown vehicle {plate!r}"
        if visit is not None:
            row = session.exec(select(SamplingSelection).where(SamplingSelection.visit_id == visit)).first()
            if row is None:
                return f"no selection recorded for visit {visit!r}"
            if not row.sampled or row.point_spec is None:
                return f"visit {visit!r} was not sampled"
            spec = PointSpec.model_validate(row.point_spec)
            bed_mm = (int(row.bed_mm[0]), int(row.bed_mm[1]))
            points = tuple((float(x), float(y)) for x, y in row.points_m)
            return _view(row.material, bed_mm, spec, points, row.plan_error, f"visit {visit[:8]}")
        order = session.exec(select(DeliveryOrder).where(DeliveryOrder.vehicle_id == vehicle.id)
                             .order_by(col(DeliveryOrder.is_open).desc(), col(DeliveryOrder.id).desc())).first()
        if order is None:
            return f"vehicle {plate!r} has no delivery order, so no material to plan for"
        material = session.get(Material, order.material_id)
        bed_mm = (vehicle.bed_length_mm, vehicle.bed_width_mm)
    assert material is not None
    spec = point_spec(cfg, material.code, plate)
    points, error = plan_points(preview_seed, "preview", bed_mm, spec)
    return _view(material.code, bed_mm, spec, points, error, "preview (random)")


def _view(material: str, bed_mm: tuple[int, int], spec: PointSpec, points: tuple[Point, ...],
          error: str | None, what: str) -> PlanView:
    bed = Bed(bed_mm[0] / 1000, bed_mm[1] / 1000)
    title = (f"{what}: {material}, bed {bed.length_m:.2f} x {bed.width_m:.2f} m, {len(points)} points, "
             f"margin {spec.margin_m} m, min sep {spec.min_separation_m} m")
    png = plan_png(bed, spec, points, title) if error is None else b""
    return PlanView(material, bed_mm, points, error, png)
