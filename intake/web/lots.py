"""Lots for the supplier page: the sampling plan groups each supplier's deliveries of one
material into lots (intake.sampling.policy); each lot gets at least one sample.

A lot's status, from the selections recorded for it and the current verdict (the newest
decision, so a review counts) of each of its sampled trucks:
- rejected: a sampled truck's load is currently REJECT;
- held: a sampled truck is currently REVIEW (awaiting a reviewer);
- passed: it has samples and every one is PASS;
- sampling: sampled trucks whose verdict is not recorded yet;
- unsampled: no truck of it was sampled (so far).
The newest lot of each supplier and material is shown as open: the next delivery goes into it
unless it already reached its size (the plan learns that only from the next truck's weights).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import case, func, inspect, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from intake.sampling.tables import SamplingSelection
from intake.store.reviews import day_window
from intake.store.tables import Decision

STATUSES: Final[tuple[str, ...]] = ("rejected", "held", "passed", "sampling", "unsampled")
LOTS_SHOWN: Final[int] = 12          # newest lots listed per supplier and material


@dataclass(frozen=True)
class Lot:
    lot_id: str
    supplier: str
    material: str
    lot_no: int
    trucks: int
    sampled: int
    rejected: int
    held: int
    passed: int
    first_at: datetime
    last_at: datetime
    is_open: bool

    @property
    def status(self) -> str:
        if self.rejected:
            return "rejected"
        if self.held:
            return "held"
        if self.sampled and self.passed == self.sampled:
            return "passed"
        return "sampling" if self.sampled else "unsampled"


@dataclass(frozen=True)
class LotGroup:
    supplier: str
    material: str
    counts: dict[str, int]           # status -> lots in the period
    total: int
    lots: list[Lot]                  # the newest LOTS_SHOWN, newest first


def lots(engine: Engine, since: date, until: date, zone: str = "UTC") -> list[LotGroup]:
    """Lots with a delivery selected in [since, until] (days of `zone`), grouped per supplier and material."""
    if not inspect(engine).has_table(SamplingSelection.__tablename__):
        return []
    start, end = day_window(since, until, zone)
    sel = SamplingSelection
    current = (select(Decision.verdict).where(col(Decision.visit_id) == col(sel.visit_id))
               .order_by(col(Decision.id).desc()).limit(1).correlate(sel).scalar_subquery())
    # Only sampled trucks need their verdict (CASE evaluates the lookup for those alone).
    verdict = case((col(sel.sampled), current), else_=None)
    per_lot = (
        select(sel.lot_id, sel.supplier, sel.material, func.max(sel.lot_no), func.count(),
               func.sum(case((col(sel.sampled), 1), else_=0)),
               func.sum(case((verdict == "reject", 1), else_=0)), func.sum(case((verdict == "review", 1), else_=0)),
               func.sum(case((verdict == "pass", 1), else_=0)),
               func.min(sel.recorded_at), func.max(sel.recorded_at))
        .group_by(sel.lot_id, sel.supplier, sel.material)
        .having(func.max(sel.recorded_at) >= start, func.min(sel.recorded_at) < end)
    )
    newest = (select(sel.supplier, sel.material, func.max(sel.lot_no)).group_by(sel.supplier, sel.material))
    with Session(engine) as session:
        open_lots = {(s, m): n for s, m, n in session.execute(newest)}
        rows = session.execute(per_lot).all()
    found = [Lot(lot_id, s, m, int(no), int(n), int(k or 0), int(r or 0), int(h or 0), int(p or 0), first, last,
                 open_lots.get((s, m)) == no) for lot_id, s, m, no, n, k, r, h, p, first, last in rows]
    return _grouped(found)


def _grouped(found: list[Lot]) -> list[LotGroup]:
    groups: dict[tuple[str, str], list[Lot]] = {}
    for lot in found:
        groups.setdefault((lot.supplier, lot.material), []).append(lot)
    out = []
    for (supplier, material), members in sorted(groups.items()):
        members.sort(key=lambda lot: lot.lot_no, reverse=True)
        counts = Counter(lot.status for lot in members)
        out.append(LotGroup(supplier, material, {s: counts.get(s, 0) for s in STATUSES}, len(members),
                            members[:LOTS_SHOWN]))
    return out

