"""The database tables. Records of what happened are appended, never edited in place:
a weigh-out is its own row, a decision is its own row, a later review will be its own row.

A table class with `__chained__ = True` is append-only and hash-chained: every INSERT gets a
link in `chainlink` in the same transaction, UPDATE and DELETE are refused (intake.store.chain).
Adding or changing a table here needs an Alembic migration (intake/store/migrations/README.md).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import ClassVar, Optional

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from intake.store.software import software_hash, software_version


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
    stored_tare_at: Optional[datetime] = None        # when the stored tare was last weighed; it expires


class DeliveryOrder(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    material_id: int = Field(foreign_key="material.id")
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True)
    expected_kg: int
    is_open: bool = True


class Visit(SQLModel, table=True):
    """What ties a truck's weighings to a vehicle and an order (so to a supplier): chained when
    it opens, like the weighings themselves."""
    __chained__: ClassVar[bool] = True
    id: str = Field(primary_key=True)                # UUID
    lane: str
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True)
    order_id: int = Field(foreign_key="deliveryorder.id")
    opened_at: datetime = Field(default_factory=utcnow, index=True)


class Weighing(SQLModel, table=True):
    """One stable weight, as the indicator reported it, with the scale's identity."""
    __chained__: ClassVar[bool] = True
    __chain_late__: ClassVar[tuple[str, ...]] = ("indicator", "scale_max_kg", "scale_e_kg")
    id: Optional[int] = Field(default=None, primary_key=True)
    visit_id: str = Field(foreign_key="visit.id", index=True)
    kind: str                                        # "in" (gross) | "out" (tare)
    weight_kg: int
    scale_port: str
    # The instrument's identity (R76 marking): indicator model/protocol, Max and e. Added in
    # migration 0007; older rows hold NULL, which the chain leaves out of their MAC.
    indicator: Optional[str] = None
    scale_max_kg: Optional[int] = None
    scale_e_kg: Optional[float] = None
    # Audit-trail event counters (calibration, configuration), 000-999; placeholders until the
    # event logger exists. The software that took the weight identifies itself on the record.
    cal_counter: int = 0
    cfg_counter: int = 0
    sw_version: str = Field(default_factory=software_version)
    sw_hash: str = Field(default_factory=software_hash)
    recorded_at: datetime = Field(default_factory=utcnow)


class Sample(SQLModel, table=True):
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    visit_id: str = Field(foreign_key="visit.id", index=True)
    blind_code: int = Field(index=True)              # what the lab sees instead of the supplier
    draw: float                                      # the keyed random number behind the selection
    points_m: list = Field(sa_column=Column(JSON))   # [[x_m, y_m], ...]
    recorded_at: datetime = Field(default_factory=utcnow)


class SampleResult(SQLModel, table=True):
    """What the sampler reported for a planned sample: its own record, written afterwards."""
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="sample.id", index=True)
    status: str                                      # taken | failed
    mass_g: Optional[int] = None
    failure: Optional[str] = None
    recorded_at: datetime = Field(default_factory=utcnow)


class Inspection(SQLModel, table=True):
    __chained__: ClassVar[bool] = True
    __chain_late__: ClassVar[tuple[str, ...]] = ("measurements",)
    id: Optional[int] = Field(default=None, primary_key=True)
    sample_id: int = Field(foreign_key="sample.id", index=True)
    model_sha256: Optional[str] = None
    label: Optional[str] = None
    confidence: Optional[float] = None
    probs: dict = Field(default_factory=dict, sa_column=Column(JSON))
    frames_agree: bool = True
    faults: list = Field(default_factory=list, sa_column=Column(JSON))
    # Particle measurements from the calibrated camera (largest, median, elongated share);
    # added in migration 0007, NULL when not measured.
    measurements: Optional[dict] = Field(default=None, sa_column=Column(JSON, nullable=True))
    recorded_at: datetime = Field(default_factory=utcnow)


class Frame(SQLModel, table=True):
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    path: str                                        # relative to the site's data_dir
    sha256: str
    quality_ok: bool
    quality: dict = Field(default_factory=dict, sa_column=Column(JSON))
    label: Optional[str] = None
    confidence: Optional[float] = None


class Decision(SQLModel, table=True):
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    visit_id: str = Field(foreign_key="visit.id", index=True)
    verdict: Optional[str] = None                    # pass | reject | review | None (not sampled)
    reasons: list = Field(default_factory=list, sa_column=Column(JSON))
    label: Optional[str] = None
    decided_at: datetime = Field(default_factory=utcnow, index=True)


class ChainLink(SQLModel, table=True):
    """One link of the site's audit chain, and at the same time its outbox entry: `seq` is the
    per-site sequence number the centre uses to detect gaps, `record_uuid` the idempotency key."""
    # A record's link by table and key: pages check each row they show against it.
    __table_args__ = (Index("ix_chainlink_table_row", "table_name", "row_pk"),)
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    record_uuid: str = Field(unique=True, max_length=36)
    table_name: str = Field(max_length=64)
    row_pk: str = Field(max_length=64)
    mac: str = Field(max_length=64)                  # HMAC-SHA256 hex over (seq, prev, table, pk, uuid, row)
    __append_only__: ClassVar[bool] = True


class SyncCursor(SQLModel, table=True):
    """How far a central database has acknowledged this site's chain (store and forward)."""
    target: str = Field(primary_key=True, max_length=200)   # the central URL without password
    acked_seq: int = 0
    updated_at: datetime = Field(default_factory=utcnow)
