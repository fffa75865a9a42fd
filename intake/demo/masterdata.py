"""The demo plant's suppliers, materials, vehicles and open orders, matching the scripted trucks."""
from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import hashlib

from hardware.sim.trucks import TruckScenario
from intake.ident.ordercodes import new_order_code
from intake.ident.tags import VehicleTag
from intake.store.master_changes import as_actor
from intake.store.tables import DeliveryOrder, Material, Supplier, Vehicle, utcnow

SUPPLIERS = {"S": ("hx-sand", "华鑫砂场 Huaxin Sand"), "G": ("ds-stone", "东山石料 Dongshan Stone")}
MATERIALS = {"sand": ("Sand 0/4", "砂"), "gravel": ("Crushed stone 5/25", "碎石")}


def ordered_material(truck: TruckScenario) -> str:
    """What the truck's order says it delivers: the plate's S/G letter, whatever is in the bed."""
    return "sand" if "·S" in truck.plate else "gravel"


def demo_tag(plate: str) -> str:
    """The EM4100 card the demo issues to a truck: 10 hex digits derived from its plate."""
    return hashlib.sha256(plate.encode()).hexdigest()[:10].upper()


def seed(engine: Engine, trucks: list[TruckScenario]) -> None:
    with as_actor(Session(engine), "demo", "the demo plant's master data") as session:
        suppliers = {k: _get_or_add(session, Supplier, code=c, name=n) for k, (c, n) in SUPPLIERS.items()}
        materials = {k: _get_or_add(session, Material, code=k, name=n, name_zh=z) for k, (n, z) in MATERIALS.items()}
        session.flush()
        for truck in (t for t in trucks if t.registered):
            kind = "S" if "·S" in truck.plate else "G"
            vehicle = _get_or_add(session, Vehicle, plate=truck.plate, supplier_id=suppliers[kind].id,
                                  bed_length_mm=7_200, bed_width_mm=2_350, stored_tare_kg=truck.tare_kg,
                                  stored_tare_at=utcnow())  # weighed recently: not expired (W8)
            if vehicle.stored_tare_at is None:  # a demo database from before migration 0007
                vehicle.stored_tare_at = utcnow()
            session.flush()
            if session.exec(select(VehicleTag).where(VehicleTag.vehicle_id == vehicle.id)).first() is None:
                session.add(VehicleTag(tag=demo_tag(truck.plate), vehicle_id=vehicle.id))
            open_order = session.exec(select(DeliveryOrder).where(
                DeliveryOrder.vehicle_id == vehicle.id, DeliveryOrder.is_open)).first()
            if open_order is None:
                session.add(DeliveryOrder(code=new_order_code(), supplier_id=suppliers[kind].id,
                                          material_id=materials[ordered_material(truck)].id,
                                          vehicle_id=vehicle.id, expected_kg=truck.load_kg))
        session.commit()


def _get_or_add(session: Session, table: type, **values: object):
    key = "plate" if "plate" in values else "code"
    row = session.exec(select(table).where(getattr(table, key) == values[key])).first()
    if row is None:
        row = table(**values)
        session.add(row)
    return row
