"""The weighing ticket (磅单) and its prints: chained, append-only records.

A ticket is the gate's statement of one delivery, issued once after the weigh-out: the facts
are copied onto it from the chained records they come from (visit, weighings, decisions,
sample) so the ticket says what was true when it was issued, and `intake ticket verify`
recomputes them from those records to show nobody changed either side since.
"""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Optional

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from intake.store.tables import utcnow


class Ticket(SQLModel, table=True):
    __chained__: ClassVar[bool] = True
    __chain_late__: ClassVar[tuple[str, ...]] = ("tare_at",)   # migration 0016; NULL on older tickets
    # The settlement export walks a period by weigh-out time (intake.settlement; migration 0014).
    __table_args__ = (Index("ix_ticket_weighed_out_at", "weighed_out_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    number: int = Field(unique=True)              # sequential per site, never reused
    code: str = Field(unique=True, max_length=32)  # the QR's unguessable code (intake.ticket.codes)
    visit_id: str = Field(foreign_key="visit.id", unique=True)   # one ticket per delivery
    plant: str = Field(max_length=200)
    lane: str = Field(max_length=16)
    plate: str = Field(max_length=32)
    supplier_code: str = Field(max_length=64)
    supplier_name: str = Field(max_length=200)
    order_code: str = Field(max_length=64)
    material_code: str = Field(max_length=64)
    material_name: str = Field(max_length=200)
    material_name_zh: str = Field(max_length=200)
    gross_kg: Optional[int] = None
    second_kg: Optional[int] = None               # the weigh-out weight
    second_kind: str = Field(max_length=8)        # "tare" (unloaded) | "exit" (left with its load)
    tare_source: Optional[str] = Field(default=None, max_length=8)   # "weighed" | "stored"
    tare_at: Optional[datetime] = None            # a stored tare's date (when it was weighed)
    net_kg: int = 0
    received: bool = True
    weighed_in_at: Optional[datetime] = None
    weighed_out_at: Optional[datetime] = None
    indicator: Optional[str] = Field(default=None, max_length=200)
    scale_max_kg: Optional[int] = None
    scale_e_kg: Optional[float] = None
    verdict: Optional[str] = Field(default=None, max_length=16)   # pass | reject | review | None
    reasons: list = Field(default_factory=list, sa_column=Column(JSON))
    blind_code: Optional[int] = None
    issued_at: datetime = Field(default_factory=utcnow)
    issued_by: str = Field(max_length=200)        # "gate", or who issued it later by the CLI


class TicketPrint(SQLModel, table=True):
    """One print (paper or PDF) of a ticket. The first one that reached its target is the
    original; every later one is marked 补打 / COPY."""
    __tablename__ = "ticket_print"
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    reprint: bool = False                         # printed as 补打 / COPY
    output: str = Field(max_length=16)            # escpos | pdf-a5 | pdf-80mm
    target: str = Field(max_length=300)           # tcp:host:port, serial:..., usb:..., file name
    ok: bool = True
    error: Optional[str] = Field(default=None, max_length=500)
    by: str = Field(max_length=200)
    at: datetime = Field(default_factory=utcnow)
