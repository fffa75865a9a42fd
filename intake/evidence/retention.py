"""Deck snapshot retention, beside the sample photos' (intake.store.retention): a visit's
snapshots go `retention.evidence_days` after its last one was taken, unless the load still
waits for a person (its current decision is REVIEW, or it has none). The rows and their
SHA-256 stay; a chained `SnapshotRemoval` names the visit, the rule, the files and the bytes, so
the pages say "removed under the retention policy" instead of showing a broken image."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, exists, func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.config import RetentionConfig
from intake.evidence.tables import DeckSnapshot, SnapshotRemoval
from intake.store.db import read_only
from intake.store.retention import RuleTotal, delete_files
from intake.store.tables import Decision


def due_visits(engine: Engine, before: datetime) -> list[str]:
    """Visits whose snapshots were all taken before `before`, not yet removed, not awaiting
    review; oldest first."""
    current = (select(Decision.verdict).where(col(Decision.visit_id) == col(DeckSnapshot.visit_id))
               .order_by(col(Decision.id).desc()).limit(1).correlate(DeckSnapshot).scalar_subquery())
    decided = exists().where(col(Decision.visit_id) == col(DeckSnapshot.visit_id))
    removed = exists().where(col(SnapshotRemoval.visit_id) == col(DeckSnapshot.visit_id))
    # A current verdict of NULL is "not sampled", settled; no decision at all is a load still owed one.
    settled = and_(decided, or_(current.is_(None), current != "review"))
    query = (select(DeckSnapshot.visit_id, func.max(DeckSnapshot.taken_at).label("last"))
             .where(col(DeckSnapshot.path).is_not(None), ~removed, settled)
             .group_by(col(DeckSnapshot.visit_id))
             .having(func.max(DeckSnapshot.taken_at) < before)
             .order_by(func.max(DeckSnapshot.taken_at)))
    with Session(engine) as session:
        return [visit for visit, _last in session.execute(query).all()]


def snapshot_files(engine: Engine, visit_id: str) -> list[str]:
    query = (select(DeckSnapshot.path).where(col(DeckSnapshot.visit_id) == visit_id, col(DeckSnapshot.path).is_not(None))
             .order_by(col(DeckSnapshot.id)))
    with Session(engine) as session:
        return [p for p in session.execute(query).scalars() if p]


def prune_snapshots(engine: Engine, data_dir: Path, policy: RetentionConfig, now: datetime, *,
                    dry_run: bool = False) -> RuleTotal | None:
    """Remove the deck snapshots due at `now` (with dry_run, count them); None when none are due."""
    reader = read_only(engine)   # the lookups never hold the gate's write lock
    rule = f"deck evidence older than {policy.evidence_days} days"
    visits = due_visits(reader, now - timedelta(days=policy.evidence_days))
    if not visits:
        return None
    total = RuleTotal(rule)
    for visit in visits:
        files, freed, ok = delete_files(data_dir, snapshot_files(reader, visit), dry_run=dry_run)
        total.loads, total.files, total.bytes = total.loads + 1, total.files + files, total.bytes + freed
        if not ok:
            total.failed += 1
        elif not dry_run:
            with Session(engine) as session:
                session.add(SnapshotRemoval(visit_id=visit, rule=rule, files=files, bytes_freed=freed, removed_at=now))
                session.commit()
    return total
