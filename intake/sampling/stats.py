"""Measured selection rates against the configured ones, from the recorded selections.

Per supplier, material and mode: `measured` is the share of trucks picked by the draw (forced lot
samples are counted apart, as `lot_end`), `configured` the mean rate in force, and the 95 % range
is what a fair draw gives for these trucks (normal approximation of the sum of Bernoulli draws).
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.sampling.tables import SamplingSelection


class RateRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    supplier: str
    material: str
    mode: str
    trucks: int
    drawn: int
    lot_end: int
    measured: float
    configured: float
    low: float
    high: float

    @property
    def within(self) -> bool:
        return self.low <= self.measured <= self.high


def rate_stats(engine: Engine, day: date | None = None) -> list[RateRow]:
    query = select(SamplingSelection.supplier, SamplingSelection.material, SamplingSelection.mode,
                   SamplingSelection.rate, SamplingSelection.reason)
    if day is not None:
        query = query.where(SamplingSelection.day == day.isoformat())
    with Session(engine) as session:
        return rows_from(list(session.exec(query)))


def rows_from(picks: list[tuple[str, str, str, float, str]]) -> list[RateRow]:
    """Group (supplier, material, mode, rate, reason) selections into rate rows."""
    groups: dict[tuple[str, str, str], list[tuple[float, str]]] = defaultdict(list)
    for supplier, material, mode, rate, reason in picks:
        groups[(supplier, material, mode)].append((rate, reason))
    return [_row(key, rows) for key, rows in sorted(groups.items())]


def _row(key: tuple[str, str, str], rows: list[tuple[float, str]]) -> RateRow:
    n = len(rows)
    expected = sum(r for r, _ in rows)
    spread = 1.96 * math.sqrt(sum(r * (1 - r) for r, _ in rows))
    drawn = sum(reason == "drawn" for _, reason in rows)
    return RateRow(supplier=key[0], material=key[1], mode=key[2], trucks=n, drawn=drawn,
                   lot_end=sum(reason == "lot_end" for _, reason in rows), measured=drawn / n,
                   configured=expected / n, low=max(0.0, (expected - spread) / n), high=min(1.0, (expected + spread) / n))
