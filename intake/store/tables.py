"""The database tables. Records of what happened are appended, never edited in place:
a weigh-out is its own row, a decision is its own row, a later review will be its own row."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Supplier(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True)
    name: str


class Material(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True)      # key into the config's [materials]
    name: str
    name_zh: str


class Vehicle(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    plate: str = Field(index=True, unique=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    bed_length_mm: int
    bed_width_mm: int
    stored_tare_kg: Optional[int] = None


class DeliveryOrder(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    material_id: int = Field(foreign_key="material.id")
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True)
    expected_kg: int
    is_open: bool = True


class Visit(SQLModel, table=True):
    id: str = Field(primary_key=True)                # UUID
    lane: str
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True)
    order_id: int = Field(foreign_key="deliveryorder.id")
    opened_at: datetime = Field(default_factory=utcnow, index=True)


class Weighing(SQLModel, table=True):
    """One stable weight, as the indicator reported it, with the scale's identity."""
    id: Optional[int] = Field(default=None, primary_key=True)
    visit_id: str = Field(foreign_key="visit.id", index=True)
    kind: str                                        # "in" (gross) | "out" (tare)
    weight_kg: int
    scale_port: str
    recorded_at: datetime = Field(default_factory=utcnow)


class Sample(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    visit_id: str = Field(foreign_key="visit.id", index=True)
    blind_code: int                                  # what the lab sees instead of the supplier
    draw: float                                      # the keyed random number behind the selection
    points_m: list = Field(sa_column=Column(JSON))   # [[x_m, y_m], ...]
    recorded_at: datetime = Field(default_factory=utcnow)


class SampleResult(SQLModel, table=True):
    """What the sampler reported for a planned sample: its own record, written afterwards."""
    id: Optional[int] = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="sample.id", index=True)
    status: str                                      # taken | failed
    mass_g: Optional[int] = None
    failure: Optional[str] = None
    recorded_at: datetime = Field(default_factory=utcnow)


class Inspection(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="sample.id", index=True)
    model_sha256: Optional[str] = None
    label: Optional[str] = None
    confidence: Optional[float] = None
    probs: dict = Field(default_factory=dict, sa_column=Column(JSON))
    frames_agree: bool = True
    faults: list = Field(default_factory=list, sa_column=Column(JSON))
    recorded_at: datetime = Field(default_factory=utcnow)


class Frame(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    path: str                                        # relative to the site's data_dir
    sha256: str
    quality_ok: bool
    quality: dict = Field(default_factory=dict, sa_column=Column(JSON))
    label: Optional[str] = None
    confidence: Optional[float] = None


class Decision(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    visit_id: str = Field(foreign_key="visit.id", index=True)
    verdict: Optional[str] = None                    # pass | reject | review | None (not sampled)
    reasons: list = Field(default_factory=list, sa_column=Column(JSON))
    label: Optional[str] = None
    decided_at: datetime = Field(default_factory=utcnow, index=True)
