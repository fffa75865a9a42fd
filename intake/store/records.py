"""Writing and reading the gate's records. Every write is its own committed transaction, so a
record is durable before the caller acts on it (commit before acting)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import exists
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.lane.machine import PassKind
from intake.store import crashpoint
from intake.store.master_changes import as_actor
from intake.store.integrity import REFUSAL as INTEGRITY_REFUSAL, state_for
from intake.store.tables import utcnow
from intake.ticket.tables import Ticket
from intake.store.tables import (
    Decision, DeliveryOrder, Frame, Inspection, Material, Sample, SampleResult, Supplier, Vehicle, Visit,
    Weighing,
)


@dataclass(frozen=True)
class Admission:
    """A truck allowed on: which visit, which pass, and what the gate needs to know about it."""
    visit: str
    kind: PassKind
    plate: str
    supplier: str
    material: str
    bed_mm: tuple[int, int]
    material_name: tuple[str, str] | None = None   # (zh, en) from the material's master data


@dataclass(frozen=True)
class Refusal:
    reason: str   # unknown_vehicle | no_open_order | records_fail_verification


class Records:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _add(self, *rows: Any) -> None:
        with Session(self.engine) as session:
            session.add_all(rows)
            session.commit()
            _committed(rows)

    # ---- identification ------------------------------------------------------------------

    def admit(self, plate: str, lane: str) -> Admission | Refusal:
        """Find the truck's open visit (weigh-out pass) or open a visit on its open order."""
        if not state_for(self.engine).ok:
            return Refusal(INTEGRITY_REFUSAL)   # no new records on a chain that does not verify
        with Session(self.engine) as session:
            vehicle = session.exec(select(Vehicle).where(Vehicle.plate == plate)).first()
            if vehicle is None:
                return Refusal("unknown_vehicle")
            open_visit = self._open_visit(session, vehicle.id)
            if open_visit is not None:
                return self._admission(session, open_visit, "out", vehicle)
            order = session.exec(
                select(DeliveryOrder).where(DeliveryOrder.vehicle_id == vehicle.id, DeliveryOrder.is_open)
            ).first()
            if order is None:
                return Refusal("no_open_order")
            visit = Visit(id=str(uuid.uuid4()), lane=lane, vehicle_id=vehicle.id, order_id=order.id)
            session.add(visit)
            session.commit()
            _committed([visit])
            return self._admission(session, visit, "in", vehicle)

    @staticmethod
    def _open_visit(session: Session, vehicle_id: int | None) -> Visit | None:
        """A visit with a recorded weigh-in and no weigh-out yet."""
        # Correlated EXISTS, looked up per visit of this vehicle by the weighing's visit index:
        # an IN over every weighing ever recorded would grow with the plant's whole history.
        def weighed(kind: str) -> Any:
            return exists().where(Weighing.visit_id == Visit.id, Weighing.kind == kind)

        from intake.store.stored_tare import StoredTareUse   # a delivery ended on the stored tare is not open

        on_stored_tare = exists().where(StoredTareUse.visit_id == Visit.id)
        return session.exec(
            select(Visit).where(Visit.vehicle_id == vehicle_id, weighed("in"), ~weighed("out"), ~on_stored_tare)
            .order_by(Visit.opened_at.desc())
        ).first()

    @staticmethod
    def _admission(session: Session, visit: Visit, kind: PassKind, vehicle: Vehicle) -> Admission:
        order = session.get(DeliveryOrder, visit.order_id)
        assert order is not None
        supplier = session.get(Supplier, order.supplier_id)
        material = session.get(Material, order.material_id)
        assert supplier is not None and material is not None
        return Admission(visit.id, kind, vehicle.plate, supplier.code, material.code,
                         (vehicle.bed_length_mm, vehicle.bed_width_mm),
                         (material.name_zh or material.name, material.name or material.code))

    # ---- what happened -------------------------------------------------------------------

    def plate_for_order_code(self, code: str) -> str | None:
        """The vehicle of an open delivery order, for identification by order code."""
        with Session(self.engine) as session:
            return session.exec(
                select(Vehicle.plate).join(DeliveryOrder, DeliveryOrder.vehicle_id == Vehicle.id)
                .where(DeliveryOrder.code == code, DeliveryOrder.is_open)
            ).first()

    def checks_at_admission(self, visit: str, window_s: float) -> list[str]:
        """Anti-cheat: the same vehicle weighed out less than `window_s` ago is held."""
        with Session(self.engine) as session:
            current = session.get(Visit, visit)
            assert current is not None
            last = session.exec(
                select(Weighing.recorded_at).join(Visit, Visit.id == Weighing.visit_id)
                .where(Visit.vehicle_id == current.vehicle_id, Weighing.kind == "out", Visit.id != visit)
                .order_by(Weighing.recorded_at.desc())  # type: ignore[union-attr]
            ).first()
        if last is None:
            return []
        age = (utcnow() - _aware(last)).total_seconds()
        return ["repeat_weighing"] if age < window_s else []

    def checks_at_weigh_out(self, visit: str, tare_kg: int, tolerance_kg: int,
                            max_age_days: float | None = None) -> list[str]:
        """Anti-cheat (W8): an unloaded truck's tare must match the vehicle's stored tare, and
        that stored tare must be dated and younger than ``max_age_days``. A tare that matches is
        kept fresh: it becomes the stored tare, dated now. A mismatching one never does, so a
        swapped trailer cannot teach the gate a new tare; an expired one is refreshed only
        because the visit that measured it goes to REVIEW, where a person sees it."""
        with Session(self.engine) as session:
            current = session.get(Visit, visit)
            assert current is not None
            vehicle = session.get(Vehicle, current.vehicle_id)
            decisions = list(session.exec(select(Decision).where(Decision.visit_id == visit)
                                          .order_by(Decision.id)))  # type: ignore[arg-type]
            unloaded = was_received(decisions, None)   # weighed out now: the latest decision routed it
            stored = vehicle.stored_tare_kg if vehicle else None
            if not unloaded or vehicle is None or stored is None:
                return []
            found = [] if abs(tare_kg - stored) <= tolerance_kg else ["tare_mismatch"]
            if max_age_days is not None and _tare_expired(vehicle.stored_tare_at, max_age_days):
                found.append("stored_tare_expired")
            if "tare_mismatch" not in found:
                as_actor(session, "gate", f"tare weighed at the weigh-out of visit {visit}")
                vehicle.stored_tare_kg, vehicle.stored_tare_at = tare_kg, utcnow()
                session.add(vehicle)
                session.commit()
        return found

    def record_weight(self, visit: str, kind: PassKind, weight_kg: int, scale_port: str,
                      identity: dict[str, object] | None = None) -> int:
        """``identity``: the instrument's indicator, Max and e (ScaleConfig.identity), stamped
        on the row with the event counters in force, in the same transaction as the weight.
        Returns the weighing's id (the deck evidence is tied to it)."""
        from intake.metrology.counters import counters_in

        with Session(self.engine) as session:
            cal, cfg = counters_in(session)
            row = Weighing(visit_id=visit, kind=kind, weight_kg=weight_kg, scale_port=scale_port,
                           cal_counter=cal, cfg_counter=cfg, **(identity or {}))
            session.add(row)
            session.commit()
            _committed([row])
            assert row.id is not None
            return row.id

    def record_decision(self, visit: str, verdict: str | None, reasons: list[str], label: str | None) -> None:
        self._add(Decision(visit_id=visit, verdict=verdict, reasons=reasons, label=label))

    def record_sample(self, sample: Sample) -> int:
        with Session(self.engine) as session:
            session.add(sample)
            session.commit()
            _committed([sample])
            assert sample.id is not None
            return sample.id

    def record_sample_result(self, result: SampleResult) -> None:
        self._add(result)

    def record_inspection(self, inspection: Inspection, frames: list[Frame]) -> int:
        with Session(self.engine) as session:
            session.add(inspection)
            session.flush()
            for frame in frames:
                frame.inspection_id = inspection.id  # type: ignore[assignment]
                session.add(frame)
            session.commit()
            _committed([inspection, *frames])
            assert inspection.id is not None
            return inspection.id

    # ---- reading back --------------------------------------------------------------------

    def visit_summary(self, visit_id: str) -> dict[str, Any]:
        """The per-truck object `intake demo --json` prints."""
        with Session(self.engine) as session:
            visit = session.get(Visit, visit_id)
            if visit is None:
                raise KeyError(visit_id)
            vehicle = session.get(Vehicle, visit.vehicle_id)
            order = session.get(DeliveryOrder, visit.order_id)
            assert vehicle is not None and order is not None
            supplier = session.get(Supplier, order.supplier_id)
            material = session.get(Material, order.material_id)
            weighed = list(session.exec(select(Weighing).where(Weighing.visit_id == visit_id)))
            weights = {w.kind: w.weight_kg for w in weighed}
            sample = session.exec(select(Sample).where(Sample.visit_id == visit_id)).first()
            decisions = list(session.exec(
                select(Decision).where(Decision.visit_id == visit_id).order_by(Decision.id)))  # type: ignore[arg-type]
            ticket = session.exec(select(Ticket.number).where(Ticket.visit_id == visit_id)).first()
            from intake.store.stored_tare import StoredTareUse

            stored = session.exec(select(StoredTareUse).where(StoredTareUse.visit_id == visit_id)).first()
        decision = decisions[-1] if decisions else None
        gross, second = weights.get("in"), weights.get("out")
        out_at = next((w.recorded_at for w in weighed if w.kind == "out"), None)
        if second is None and stored is not None:   # one weighing: the delivery ended on the stored tare
            second, out_at = stored.tare_kg, stored.recorded_at
        received = was_received(decisions, out_at)
        tare = second if received else None
        return {
            "visit": visit.id,
            "plate": vehicle.plate,
            "supplier": supplier.code if supplier else None,
            "material": material.code if material else None,
            "gross_kg": gross,
            "tare_kg": tare,
            "exit_kg": None if received else second,
            "received": received,
            "net_kg": (gross - tare if gross is not None and tare is not None else None) if received else 0,
            "sampled": sample is not None,
            "sample_points": [list(p) for p in sample.points_m] if sample else [],
            "verdict": decision.verdict if decision else None,
            "reasons": list(decision.reasons) if decision else [],
            "label": decision.label if decision else None,
            "ticket": ticket,   # the weighing ticket's number; None until one is issued
        }


def was_received(decisions: list[Decision], out_at: datetime | None) -> bool:
    """Whether the load went into the plant. A truck sent back (REJECT, REVIEW) leaves with it:
    nothing was received, and its second weighing is an exit weight, not a tare. What routed
    the truck is the decision in force when it was weighed out; a review that later turns a
    REVIEW into a PASS does not bring the load back."""
    routed = [d for d in decisions if out_at is None or _aware(d.decided_at) <= _aware(out_at)]
    last = routed[-1] if routed else None
    return last is None or last.verdict in (None, "pass")


def _committed(rows: Any) -> None:
    """A crash-test boundary: these rows are durable now (see intake.store.crashpoint)."""
    if not crashpoint.enabled():
        return
    first = rows[0]
    name = type(first).__tablename__
    if isinstance(first, Weighing):
        name = f"weighing_{first.kind}"
    crashpoint.crash_point(name, table=type(first).__tablename__, pks=[str(r.id) for r in rows if type(r) is type(first)])


def _tare_expired(dated: datetime | None, max_age_days: float) -> bool:
    """An undated stored tare counts as expired: nobody can say when it was weighed."""
    return dated is None or (utcnow() - _aware(dated)).total_seconds() > max_age_days * 86_400


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
