"""Which vehicle carries which RFID tag: master data, looked up on every read. Staff bind and
withdraw cards through intake.masterdata.cards (chained change records)."""
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
