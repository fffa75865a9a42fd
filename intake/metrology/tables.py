"""Metrology records. All are chained (`__chained__`): append-only, each with a link in the
site's keyed hash chain, so a verification, calibration or counter step cannot be edited or
removed without `intake audit verify` noticing. Migration: 0004_metrology.

Decimal quantities (Max, e, loads) are stored as their exact decimal text, never floats.
"""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Optional

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from intake.store.software import software_hash, software_version
from intake.store.tables import utcnow


class EventCounter(SQLModel, table=True):
    """One step of an audit-trail event counter (W11) and its event-logger entry (W12):
    which counter, its value after the step (000-999, wrapping), the never-wrapping total
    behind it, and every sealable parameter the session changed: {name: [old, new]}."""
    __chained__: ClassVar[bool] = True
    # A second writer racing for the same step fails on this instead of skipping a number.
    __table_args__ = (UniqueConstraint("counter", "total", name="uq_eventcounter_counter_total"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    counter: str = Field(index=True, max_length=16)   # calibration | configuration
    value: int                                        # 0..999, what indicators display
    total: int                                        # 1, 2, 3 ... never wraps
    parameters: dict = Field(default_factory=dict, sa_column=Column(JSON))
    source: str = Field(max_length=200)               # who/what made the change
    sw_version: str = Field(default_factory=software_version)
    sw_hash: str = Field(default_factory=software_hash)
    recorded_at: datetime = Field(default_factory=utcnow)


class VerificationRecord(SQLModel, table=True):
    """A scale checked against certified test weights (`intake scale verify`)."""
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    indicator: str = Field(max_length=200)            # the scale identity: indicator ...
    protocol: str = Field(max_length=32)
    max_kg: str = Field(max_length=32)                # ... Max ...
    e_kg: str = Field(max_length=32)                  # ... and e
    accuracy_class: str = Field(max_length=4)
    in_service: bool                                  # MPE x2 (in-service) or initial verification
    passed: bool
    steps: list = Field(default_factory=list, sa_column=Column(JSON))
    technician: Optional[str] = Field(default=None, max_length=200)
    cal_counter: int
    cfg_counter: int
    sw_version: str = Field(default_factory=software_version)
    sw_hash: str = Field(default_factory=software_hash)
    recorded_at: datetime = Field(default_factory=utcnow)


class CalibrationRecord(SQLModel, table=True):
    """An accepted multi-point calibration of a raw load-cell transmitter."""
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    transmitter: str = Field(max_length=200)
    max_kg: str = Field(max_length=32)
    e_kg: str = Field(max_length=32)
    gain_kg_per_count: float
    zero_counts: float
    worst_residual_e: float
    points: list = Field(default_factory=list, sa_column=Column(JSON))
    file_name: str = Field(max_length=255)            # the calibration file's name (no path)
    file_sha256: str = Field(max_length=64)
    cal_counter: int                                  # the calibration counter this raised to
    technician: Optional[str] = Field(default=None, max_length=200)
    sw_version: str = Field(default_factory=software_version)
    sw_hash: str = Field(default_factory=software_hash)
    recorded_at: datetime = Field(default_factory=utcnow)
