"""The alarm outbox in the gate's database (migration 0015). Operational rows, not records a
payment rests on: not chained. An alarm row is written once; its deliveries (one per channel)
carry the retry state; every attempt is its own row."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from intake.store.tables import utcnow


class Alarm(SQLModel, table=True):
    """One alarm raised by a rule. `suppressed`: held back by the rule's rate limit (no
    deliveries; the next alarm of that rule and lane counts it in `held_back`)."""
    __tablename__ = "alarm"
    __table_args__ = (Index("ix_alarm_rule_lane_at", "rule", "lane", "at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    rule: str = Field(max_length=64)                 # "<index>.<event>" of [[alarms.rules]]
    event: str = Field(max_length=32)
    lane: Optional[str] = Field(default=None, max_length=64)
    key: str = Field(max_length=200, index=True)     # the fact it is about: one alarm per rule and key
    at: datetime = Field(default_factory=utcnow)
    body: dict = Field(default_factory=dict, sa_column=Column(JSON))   # the AlarmEvent
    suppressed: bool = False
    held_back: int = 0


class AlarmDelivery(SQLModel, table=True):
    """An alarm to one channel: pending until sent, retried with backoff, failed when given up."""
    __tablename__ = "alarm_delivery"
    id: Optional[int] = Field(default=None, primary_key=True)
    alarm_id: int = Field(foreign_key="alarm.id", index=True)
    channel: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16, index=True)   # pending | sent | failed
    attempts: int = 0
    next_at: datetime = Field(default_factory=utcnow)
    last_error: Optional[str] = Field(default=None, max_length=500)
    sent_at: Optional[datetime] = None


class AlarmAttempt(SQLModel, table=True):
    """One try of one delivery: when, whether the channel took it, and what it answered."""
    __tablename__ = "alarm_attempt"
    id: Optional[int] = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="alarm_delivery.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    ok: bool
    result: str = Field(max_length=500)
