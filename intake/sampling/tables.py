"""The sampling plan's tables.

`SamplingSeed` holds each day's secret seed until it is revealed: it is operational state, kept
out of the audit chain (the chain is synced to the centre, which must not learn a seed early).
The commitment, the reveal and every selection are records of what happened: chained.
A selection row carries every input of the decision, so `intake sampling audit` can recompute
it from the revealed seed alone.
"""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Optional

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from intake.store.tables import utcnow


class SamplingSeed(SQLModel, table=True):
    __tablename__ = "sampling_seed"
    __table_args__ = (UniqueConstraint("site", "day"),)
    __append_only__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    site: str = Field(max_length=200)
    day: str = Field(max_length=10, index=True)           # YYYY-MM-DD in the site's time zone
    seed_hex: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class SeedCommitment(SQLModel, table=True):
    """SHA-256 of a day's seed, recorded before that day's first selection."""
    __tablename__ = "sampling_commitment"
    __table_args__ = (UniqueConstraint("site", "day"),)
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    site: str = Field(max_length=200)
    day: str = Field(max_length=10, index=True)
    sha256: str = Field(max_length=64)
    committed_at: datetime = Field(default_factory=utcnow)


class SeedReveal(SQLModel, table=True):
    __tablename__ = "sampling_reveal"
    __table_args__ = (UniqueConstraint("site", "day"),)
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    site: str = Field(max_length=200)
    day: str = Field(max_length=10, index=True)
    seed_hex: str = Field(max_length=64)
    revealed_at: datetime = Field(default_factory=utcnow)


class SamplingSelection(SQLModel, table=True):
    """One truck's selection and, when sampled, its probe points, with everything behind them."""
    __tablename__ = "sampling_selection"
    __chained__: ClassVar[bool] = True
    __chain_late__: ClassVar[tuple[str, ...]] = ("unavailable",)   # migration 0016
    id: Optional[int] = Field(default=None, primary_key=True)
    visit_id: str = Field(foreign_key="visit.id", unique=True, index=True)
    site: str = Field(max_length=200)
    day: str = Field(max_length=10, index=True)
    supplier: str = Field(index=True)
    material: str = Field(index=True)
    # inputs
    history: dict = Field(sa_column=Column(JSON))          # SupplierHistory
    params: dict = Field(sa_column=Column(JSON))           # PolicyParams
    load_kg: int                                           # expected delivered load of this truck
    point_spec: Optional[dict] = Field(default=None, sa_column=Column(JSON))   # PointSpec
    bed_mm: list = Field(sa_column=Column(JSON))           # [length, width]
    unavailable: Optional[str] = None                      # why no sample could be inspected: model_unavailable
    # outputs
    draw: float
    rate: float
    mode: str
    reason: str
    sampled: bool
    lot_id: str = Field(index=True)
    lot_no: int
    points_m: list = Field(default_factory=list, sa_column=Column(JSON))
    plan_error: Optional[str] = None                       # sampled, but no plan obeys the rules
    recorded_at: datetime = Field(default_factory=utcnow)

