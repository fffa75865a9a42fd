"""Sample-photo retention: the photos of settled loads are removed after a configured age.

Photos are most of what a gate writes to disk (PNG, about 17 MB a sampled load at 1920x1080), and a full
disk takes the lanes out of service (safe, but the gate stops). The records stay: the Frame
rows keep each photo's SHA-256, so the audit chain still verifies and says what was taken, and
a chained FrameRemoval record says whose photos were removed, when and under which rule.

Kept whatever their age:
- a load whose current verdict is REVIEW, or that was not judged: it waits for a person;
- a PASS load a spot-check disagreed with, until it is reviewed: it waits for a person too;
- a load a reviewer decided or spot-checked, or the lab reported on: labelled data for the next model
  (removed after `labelled_days` only when that is set).
Removed: PASS loads `pass_days` after their current decision, REJECT loads `reject_days` after.
And, where the plant sets `min_free_gb` (off by default: that is releasing photos before their
retention), PASS photos oldest first while the data disk has less than that free: a PASS photo is
the least needed (REJECT, review and labelled photos are never taken early).
Only the files the Frame records name are deleted, and only inside the site's data folder.
"""
from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import ClassVar, Optional

from sqlalchemy import exists, func
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from intake.config import RetentionConfig
from intake.lab.results import LabResult
from intake.store.db import read_only
from intake.store.paths import resolve_under
from intake.store.reviews import Review
from intake.store.spotchecks import SpotCheck, flagged
from intake.store.tables import Decision, Frame, Inspection, Sample, utcnow

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]   # (loads done, loads to do)
FreeBytes = Callable[[Path], int]


def disk_free(folder: Path) -> int:
    return shutil.disk_usage(folder).free


class FrameRemoval(SQLModel, table=True):
    """One load's photos removed under the retention policy. Append-only, hash-chained."""
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    visit_id: str = Field(foreign_key="visit.id", index=True)
    verdict: str                       # the load's current verdict when its photos went
    rule: str                          # e.g. "pass older than 90 days"
    files: int
    bytes_freed: int
    removed_at: datetime = Field(default_factory=utcnow)


@dataclass(frozen=True)
class Settled:
    """A load with photos on disk and a final verdict."""
    visit_id: str
    verdict: str
    decided_at: datetime
    labelled: bool


@dataclass
class RuleTotal:
    rule: str
    loads: int = 0
    files: int = 0
    bytes: int = 0
    failed: int = 0                    # loads whose files could not all be deleted (retried next run)


def rule_for(load: Settled, policy: RetentionConfig, now: datetime) -> str | None:
    """The rule under which this load's photos are removed at `now`; None: they are kept."""
    if load.verdict not in ("pass", "reject"):
        return None
    if load.labelled:
        if policy.labelled_days is None:
            return None
        what, days = "labelled", policy.labelled_days
    else:
        what, days = load.verdict, policy.pass_days if load.verdict == "pass" else policy.reject_days
    decided = load.decided_at if load.decided_at.tzinfo else load.decided_at.replace(tzinfo=timezone.utc)
    return f"{what} older than {days} days" if now - decided >= timedelta(days=days) else None


def settled_loads(engine: Engine, before: datetime) -> list[Settled]:
    """Loads decided PASS or REJECT (their current decision) before `before`, whose photos
    have not been removed yet, oldest first."""
    current = select(func.max(Decision.id)).group_by(col(Decision.visit_id))
    of_visit = col(Sample.visit_id) == col(Decision.visit_id)
    has_frames = exists().where(col(Frame.inspection_id) == col(Inspection.id),
                                col(Inspection.sample_id) == col(Sample.id), of_visit)
    removed = exists().where(col(FrameRemoval.visit_id) == col(Decision.visit_id))
    reviewed = (exists().where(col(Review.visit_id) == col(Decision.visit_id))
                | exists().where(col(SpotCheck.visit_id) == col(Decision.visit_id)))
    tested = exists().where(col(LabResult.blind_code) == col(Sample.blind_code), of_visit)
    query = (select(Decision.visit_id, Decision.verdict, Decision.decided_at, reviewed, tested)
             .where(col(Decision.id).in_(current), col(Decision.verdict).in_(("pass", "reject")),
                    col(Decision.decided_at) < before, has_frames, ~removed, ~flagged(col(Decision.visit_id)))
             .order_by(col(Decision.decided_at)))
    with Session(engine) as session:
        return [Settled(v, verdict, at, bool(rev or lab))
                for v, verdict, at, rev, lab in session.execute(query).all()]


def frame_files(engine: Engine, visit_id: str) -> list[str]:
    """The stored (data_dir-relative) paths of a load's photos."""
    query = (select(Frame.path).join(Inspection, col(Frame.inspection_id) == col(Inspection.id))
             .join(Sample, col(Inspection.sample_id) == col(Sample.id))
             .where(col(Sample.visit_id) == visit_id).order_by(col(Frame.id)))
    with Session(engine) as session:
        return list(session.execute(query).scalars())


def delete_files(data_dir: Path, stored: Iterable[str], *, dry_run: bool = False) -> tuple[int, int, bool]:
    """(files removed, bytes freed, all gone) for stored paths under data_dir; a file already
    missing counts as gone. Emptied folders are removed too."""
    files = freed = 0
    ok = True
    folders: set[Path] = set()
    for rel in stored:
        path = resolve_under(data_dir, rel)
        if path is None:
            log.warning("frame path %r is outside the data folder: left alone", rel)
            continue
        try:
            size = path.stat().st_size
            if not dry_run:
                path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.error("cannot remove %s: %s", path, exc)
            ok = False
            continue
        files, freed = files + 1, freed + size
        folders.add(path.parent)
    for folder in folders if not dry_run else ():
        try:
            folder.rmdir()
        except OSError:
            pass   # something else is in it: not ours to delete
    return files, freed, ok


def prune_frames(engine: Engine, data_dir: Path, policy: RetentionConfig, *, now: datetime | None = None,
                 dry_run: bool = False, progress: Progress | None = None,
                 free_bytes: FreeBytes = disk_free) -> list[RuleTotal]:
    """Remove the photos due under `policy` (or, with dry_run, count them); totals per rule."""
    now = now or datetime.now(timezone.utc)
    reader = read_only(engine)   # the lookups must not hold the gate's write lock (BEGIN IMMEDIATE)
    shortest = min(d for d in (policy.pass_days, policy.reject_days, policy.labelled_days) if d is not None)
    due = [(load, rule) for load in settled_loads(reader, now - timedelta(days=shortest))
           if (rule := rule_for(load, policy, now)) is not None]
    totals: dict[str, RuleTotal] = {}
    for done, (load, rule) in enumerate(due, 1):
        _remove(engine, reader, data_dir, load, rule, totals, dry_run, now)
        if progress is not None:
            progress(done, len(due))
    if policy.min_free_gb > 0 and not dry_run and data_dir.is_dir():
        _free_disk(engine, reader, data_dir, policy.min_free_gb, totals, now, free_bytes)
    return sorted(totals.values(), key=lambda t: t.rule)


def _free_disk(engine: Engine, reader: Engine, data_dir: Path, min_free_gb: float,
               totals: dict[str, RuleTotal], now: datetime, free_bytes: FreeBytes) -> None:
    """PASS photos oldest first, whatever their age, while the data disk is short of space."""
    wanted = int(min_free_gb * 1e9)
    if free_bytes(data_dir) >= wanted:
        return
    rule = f"pass, disk below {min_free_gb:g} GB free"
    for load in settled_loads(reader, now):
        if load.verdict != "pass" or load.labelled:
            continue
        _remove(engine, reader, data_dir, load, rule, totals, False, now)
        if free_bytes(data_dir) >= wanted:
            return
    log.error("data disk still below %g GB free with no PASS photos left to remove", min_free_gb)


def _remove(engine: Engine, reader: Engine, data_dir: Path, load: Settled, rule: str,
            totals: dict[str, RuleTotal], dry_run: bool, now: datetime) -> None:
    total = totals.setdefault(rule, RuleTotal(rule))
    files, freed, ok = delete_files(data_dir, frame_files(reader, load.visit_id), dry_run=dry_run)
    total.loads, total.files, total.bytes = total.loads + 1, total.files + files, total.bytes + freed
    if not ok:
        total.failed += 1
    elif not dry_run:
        _record(engine, FrameRemoval(visit_id=load.visit_id, verdict=load.verdict, rule=rule,
                                     files=files, bytes_freed=freed, removed_at=now))


def _record(engine: Engine, row: FrameRemoval) -> None:
    with Session(engine) as session:
        session.add(row)
        session.commit()


def removal_of(engine: Engine, visit_id: str) -> FrameRemoval | None:
    """The record of this load's photos being removed, if they were."""
    with Session(engine) as session:
        return session.execute(select(FrameRemoval).where(col(FrameRemoval.visit_id) == visit_id)
                               .order_by(col(FrameRemoval.id).desc()).limit(1)).scalars().first()
