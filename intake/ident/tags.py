"""Which vehicle carries which RFID tag: master data, looked up on every read."""
from __future__ import annotations

from typing import Optional

from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from intake.store.tables import Vehicle


class VehicleTag(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    tag: str = Field(index=True, unique=True)      # upper-case hex as the reader reports it
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True)
    active: bool = True                            # a lost card is deactivated, not deleted


def plate_for_tag(engine: Engine, tag: str) -> str | None:
    with Session(engine) as session:
        row = session.exec(
            select(Vehicle.plate).join(VehicleTag, col(VehicleTag.vehicle_id) == col(Vehicle.id))
            .where(VehicleTag.tag == tag.upper(), VehicleTag.active)
        ).first()
    return row


def assign_tag(engine: Engine, plate: str, tag: str) -> None:
    with Session(engine) as session:
        vehicle = session.exec(select(Vehicle).where(Vehicle.plate == plate)).one()
        existing = session.exec(select(VehicleTag).where(VehicleTag.tag == tag.upper())).first()
        if existing is None:
            assert vehicle.id is not None  # a row read back from the table has its id
            session.add(VehicleTag(tag=tag.upper(), vehicle_id=vehicle.id))
            session.commit()
