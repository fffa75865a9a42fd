"""Reading a supplier's history for the policy from the gate's records.

Results: the newest decision of each visit whose order is for this supplier and material (a
review writes a newer decision, so a reviewed REVIEW counts as what the reviewer decided); only
PASS and REJECT count, oldest first, the last `history_len`.

The open lot: the lot of this supplier and material's latest selection. What a truck delivered
into it: gross - tare once weighed out; before that, the load expected at selection, or nothing if
the truck was rejected or held (it leaves with its load). A lot that reached its size is closed
and the next truck opens the next lot.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.sampling.policy import Result, SupplierHistory
from intake.sampling.tables import SamplingSelection
from intake.store.tables import Decision, DeliveryOrder, Material, Supplier, Vehicle, Visit, Weighing


class HistoryError(RuntimeError):
    pass


def load_history(engine: Engine, supplier: str, material: str, lot_size_kg: int, history_len: int) -> SupplierHistory:
    with Session(engine) as session:
        recent = _recent_results(session, supplier, material, history_len)
        last = session.exec(select(SamplingSelection).where(
            SamplingSelection.supplier == supplier, SamplingSelection.material == material,
        ).order_by(SamplingSelection.id.desc()).limit(1)).first()  # type: ignore[union-attr]
        if last is None:
            return SupplierHistory(supplier=supplier, material=material, recent=recent)
        lot = session.exec(select(SamplingSelection).where(SamplingSelection.lot_id == last.lot_id)).all()
        lot_kg = sum(_delivered(session, lot).values())
    if lot_kg >= lot_size_kg:
        return SupplierHistory(supplier=supplier, material=material, recent=recent, lot_no=last.lot_no + 1)
    return SupplierHistory(supplier=supplier, material=material, recent=recent, lot_no=last.lot_no,
                           lot_kg=lot_kg, lot_sampled=any(row.sampled for row in lot))


def _recent_results(session: Session, supplier: str, material: str, limit: int) -> tuple[Result, ...]:
    newest = (select(func.max(Decision.id)).join(Visit, Visit.id == Decision.visit_id)
              .join(DeliveryOrder, DeliveryOrder.id == Visit.order_id)
              .join(Supplier, Supplier.id == DeliveryOrder.supplier_id)
              .join(Material, Material.id == DeliveryOrder.material_id)
              .where(Supplier.code == supplier, Material.code == material)
              .group_by(Decision.visit_id))
    rows = session.exec(
        select(Decision.verdict).join(Visit, Visit.id == Decision.visit_id)
        .where(Decision.id.in_(newest), Decision.verdict.in_(("pass", "reject")))  # type: ignore[union-attr]
        .order_by(Visit.opened_at.desc(), Decision.id.desc()).limit(limit)  # type: ignore[union-attr]
    ).all()
    return tuple(reversed([v for v in rows if v in ("pass", "reject")]))  # type: ignore[misc]


def _delivered(session: Session, lot: Sequence[SamplingSelection]) -> dict[str, int]:
    # The lot's visits as a subquery, not a list of ids: one SQL text whatever the lot's size,
    # so SQLite's statement cache does not fill with a variant per length.
    ids = select(SamplingSelection.visit_id).where(SamplingSelection.lot_id == lot[0].lot_id)
    weights: dict[tuple[str, str], int] = {}
    for w in session.exec(select(Weighing).where(Weighing.visit_id.in_(ids)).order_by(Weighing.id)):  # type: ignore[union-attr]
        weights[(w.visit_id, w.kind)] = w.weight_kg
    newest = select(func.max(Decision.id)).where(Decision.visit_id.in_(ids)).group_by(Decision.visit_id)  # type: ignore[union-attr]
    verdicts = dict(session.exec(select(Decision.visit_id, Decision.verdict).where(Decision.id.in_(newest))).all())  # type: ignore[union-attr]
    out: dict[str, int] = {}
    for row in lot:
        gross, tare = weights.get((row.visit_id, "in")), weights.get((row.visit_id, "out"))
        if gross is not None and tare is not None:
            out[row.visit_id] = max(0, gross - tare)
        elif verdicts.get(row.visit_id) in ("reject", "review"):
            out[row.visit_id] = 0
        else:
            out[row.visit_id] = row.load_kg
    return out


def expected_load_kg(engine: Engine, visit_id: str) -> int:
    """This truck's load as far as it is known at weigh-in: gross - its tare (the vehicle's stored
    tare, else its latest weigh-out); without any tare the whole gross, which can only close a
    lot early, never skip its sample."""
    with Session(engine) as session:
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise HistoryError(f"no visit {visit_id}")
        gross = session.exec(select(Weighing.weight_kg).where(
            Weighing.visit_id == visit_id, Weighing.kind == "in").order_by(Weighing.id.desc())).first()  # type: ignore[union-attr]
        if gross is None:
            raise HistoryError(f"visit {visit_id} has no weigh-in yet")
        vehicle = session.get(Vehicle, visit.vehicle_id)
        tare = vehicle.stored_tare_kg if vehicle is not None else None
        if tare is None:
            tare = session.exec(select(Weighing.weight_kg).join(Visit, Visit.id == Weighing.visit_id).where(
                Visit.vehicle_id == visit.vehicle_id, Weighing.kind == "out",
                Weighing.visit_id != visit_id).order_by(Weighing.id.desc())).first()  # type: ignore[union-attr]
    return max(0, gross - (tare or 0))
