"""Admin corrections of master data, one row at a time (the /admin/orders and /admin/vehicles
pages): open or close a delivery order, correct a vehicle's stored tare. Each goes through the
ORM under `as_actor`, so it is a chained change record (who, why, before and after), and the
change-record guards apply: a row edited outside the gate is refused, not laundered.

Also what those pages list, read without the write lock, each row marked when it differs from
its latest change record (so the page does not show a forged value as fact).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, or_, select

from intake.store.chain import ChainError, read_row
from intake.store.master_changes import MasterChange, as_actor, latest_values, watched_values
from intake.store.tables import DeliveryOrder, Material, Supplier, Vehicle, utcnow

LISTED = 200   # rows a page lists; a search narrows it


class EditRefused(Exception):
    """The change cannot be made (as asked, or at all); the message says why."""


@dataclass(frozen=True)
class OrderView:
    id: int
    code: str
    supplier: str
    material: str
    plate: str
    expected_kg: int
    is_open: bool
    drift: bool          # differs from its change record (or has none): not to be trusted


@dataclass(frozen=True)
class VehicleView:
    id: int
    plate: str
    supplier: str
    stored_tare_kg: int | None
    stored_tare_at: datetime | None
    drift: bool


def _drifted(conn: Connection, table_name: str, table: object, pk: int) -> bool:
    row = read_row(conn, table.__table__, str(pk))  # type: ignore[attr-defined]
    recorded = latest_values(conn, table_name, str(pk))
    return row is None or recorded is None or watched_values(row, table_name) != recorded


def list_orders(reader: Engine, q: str = "", state: str = "open") -> list[OrderView]:
    """Orders (newest first) whose code or plate contains `q`; state open / closed / all."""
    with Session(reader) as s:
        query = (select(DeliveryOrder, Supplier.code, Material.code, Vehicle.plate)
                 .join(Supplier, col(Supplier.id) == DeliveryOrder.supplier_id)
                 .join(Material, col(Material.id) == DeliveryOrder.material_id)
                 .join(Vehicle, col(Vehicle.id) == DeliveryOrder.vehicle_id))
        if state in ("open", "closed"):
            query = query.where(col(DeliveryOrder.is_open) == (state == "open"))
        if q:
            query = query.where(or_(col(DeliveryOrder.code).contains(q.upper()), col(Vehicle.plate).contains(q.upper())))
        found = s.exec(query.order_by(col(DeliveryOrder.id).desc()).limit(LISTED)).all()
        conn = s.connection()
        return [OrderView(o.id or 0, o.code, sup, mat, plate, o.expected_kg, o.is_open,
                          _drifted(conn, "deliveryorder", DeliveryOrder, o.id or 0))
                for o, sup, mat, plate in found]


def list_vehicles(reader: Engine, q: str = "") -> list[VehicleView]:
    with Session(reader) as s:
        query = select(Vehicle, Supplier.code).join(Supplier, col(Supplier.id) == Vehicle.supplier_id)
        if q:
            query = query.where(col(Vehicle.plate).contains(q.upper()))
        found = s.exec(query.order_by(col(Vehicle.plate)).limit(LISTED)).all()
        conn = s.connection()
        return [VehicleView(v.id or 0, v.plate, sup, v.stored_tare_kg, v.stored_tare_at,
                            _drifted(conn, "vehicle", Vehicle, v.id or 0)) for v, sup in found]


def recent_changes(reader: Engine, table: str, limit: int = 20) -> list[MasterChange]:
    """The newest change records of one master table: who, when, why, old -> new."""
    with Session(reader) as s:
        return list(s.exec(select(MasterChange).where(MasterChange.table_name == table)
                           .order_by(col(MasterChange.id).desc()).limit(limit)))


def _latest(session: Session, table: str, pk: int) -> MasterChange:
    change = session.exec(select(MasterChange).where(MasterChange.table_name == table,
                                                     MasterChange.row_pk == str(pk))
                          .order_by(col(MasterChange.id).desc())).first()
    assert change is not None   # the flush that changed the row wrote it
    return change


def _commit(session: Session, what: str) -> None:
    try:
        session.commit()
    except ChainError as exc:   # the guards: a row edited outside the gate, a missing key
        session.rollback()
        raise EditRefused(f"{what}: {exc}") from exc


def set_order_open(engine: Engine, order_id: int, is_open: bool, by: str, why: str) -> MasterChange:
    """Open or close an order. Opening is refused while the vehicle has another open order:
    admission takes one open order per vehicle, so two would make the supplier a guess."""
    with as_actor(Session(engine), by, why) as session:
        order = session.get(DeliveryOrder, order_id)
        if order is None:
            raise EditRefused("no such order")
        if order.is_open == is_open:
            raise EditRefused(f"order {order.code} is already {'open' if is_open else 'closed'}")
        if is_open:
            other = session.exec(select(DeliveryOrder.code).where(
                DeliveryOrder.vehicle_id == order.vehicle_id, col(DeliveryOrder.is_open),
                DeliveryOrder.id != order_id)).first()
            if other is not None:
                raise EditRefused(f"order {order.code}: its vehicle already has open order {other}; close that first")
        order.is_open = is_open
        session.add(order)
        _commit(session, f"order {order.code}")
        return _latest(session, "deliveryorder", order_id)


def tare_time(weighed_on: date, today: date, now: datetime | None = None) -> datetime:
    """When a corrected tare was weighed: now for today, the day's start (UTC) before; never
    in the future (a future date would keep the tare from expiring)."""
    if weighed_on > today:
        raise EditRefused("weighed on: the date is in the future")
    if weighed_on == today:
        return now or utcnow()
    return datetime.combine(weighed_on, time(0), tzinfo=timezone.utc)


def correct_tare(engine: Engine, vehicle_id: int, tare_kg: int, weighed_at: datetime, by: str,
                 why: str) -> MasterChange:
    """Set a vehicle's stored tare and the time it was weighed; the tare ages from then."""
    with as_actor(Session(engine), by, why) as session:
        vehicle = session.get(Vehicle, vehicle_id)
        if vehicle is None:
            raise EditRefused("no such vehicle")
        vehicle.stored_tare_kg, vehicle.stored_tare_at = tare_kg, weighed_at
        session.add(vehicle)
        _commit(session, f"vehicle {vehicle.plate}")
        return _latest(session, "vehicle", vehicle_id)
