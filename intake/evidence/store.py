"""Reading the deck evidence back: a visit's snapshots, a lane's latest, and whether each
stored file is still the one its record names."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.evidence.tables import DeckSnapshot, SnapshotRemoval
from intake.store.paths import resolve_under

FileState = Literal["ok", "changed", "gone", "removed", "missing"]
MAX_FILE_BYTES = 32 * 1024 * 1024


def snapshots_of(engine: Engine, visit_id: str) -> list[DeckSnapshot]:
    """The visit's snapshots, weigh-in first, views in name order."""
    with Session(engine) as session:
        return list(session.exec(select(DeckSnapshot).where(col(DeckSnapshot.visit_id) == visit_id)
                                 .order_by(col(DeckSnapshot.weighing_id), col(DeckSnapshot.view))))


def latest_deck_snapshots(engine: Engine, lane: str) -> list[DeckSnapshot]:
    """The snapshots of the lane's most recent photographed weighing, one row per view (a missing
    view is its row with `missing` set); empty when the lane has none. For the attendant console."""
    with Session(engine) as session:
        newest = session.exec(select(func.max(DeckSnapshot.weighing_id)).where(col(DeckSnapshot.lane) == lane)).first()
        if newest is None:
            return []
        return list(session.exec(select(DeckSnapshot).where(col(DeckSnapshot.weighing_id) == newest)
                                 .order_by(col(DeckSnapshot.view))))


def snapshot(engine: Engine, snapshot_id: int) -> DeckSnapshot | None:
    with Session(engine) as session:
        return session.get(DeckSnapshot, snapshot_id)


def removal_of(engine: Engine, visit_id: str) -> SnapshotRemoval | None:
    """The record of this visit's snapshots being removed, if they were."""
    with Session(engine) as session:
        return session.exec(select(SnapshotRemoval).where(col(SnapshotRemoval.visit_id) == visit_id)
                            .order_by(col(SnapshotRemoval.id).desc()).limit(1)).first()


def read_file(data_dir: Path, row: DeckSnapshot) -> bytes | None:
    """The stored JPEG, only from inside data_dir; None when there is none to read."""
    if row.path is None:
        return None
    path = resolve_under(data_dir, row.path)
    if path is None or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
        return None
    return path.read_bytes()


def file_state(data_dir: Path, row: DeckSnapshot, removed: bool = False) -> FileState:
    """ok: the file matches its SHA-256; changed: it does not; gone: no file and no removal
    record; removed: taken away under the retention policy; missing: the camera gave none."""
    if row.path is None:
        return "missing"
    data = read_file(data_dir, row)
    if data is None:
        return "removed" if removed else "gone"
    return "ok" if hashlib.sha256(data).hexdigest() == row.sha256 else "changed"
