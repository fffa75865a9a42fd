"""The queue's thumbnails: which photo stands for each inspection, and whose photos are gone.

One indexed query each for a page of rows (frame.inspection_id, frameremoval.visit_id), never
one per row.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from intake.store.retention import FrameRemoval
from intake.store.tables import Frame


def first_frames(engine: Engine, inspections: Sequence[int]) -> dict[int, int]:
    """inspection id -> the id of its first photo that passed the quality gate (else its first)."""
    if not inspections:
        return {}
    query = (select(col(Frame.inspection_id), col(Frame.id), col(Frame.quality_ok))
             .where(col(Frame.inspection_id).in_(inspections)).order_by(col(Frame.id)))
    out: dict[int, int] = {}
    good: set[int] = set()
    with Session(engine) as session:
        for inspection, frame, ok in session.execute(query):
            if inspection not in out or (ok and inspection not in good):
                out[inspection] = frame
            if ok:
                good.add(inspection)
    return out


def removed_visits(engine: Engine, visits: Sequence[str]) -> set[str]:
    """The visits among `visits` whose photos were removed under the retention policy."""
    if not visits:
        return set()
    query = select(col(FrameRemoval.visit_id)).where(col(FrameRemoval.visit_id).in_(visits)).distinct()
    with Session(engine) as session:
        return set(session.execute(query).scalars())
