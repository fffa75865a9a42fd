"""The deck evidence records. Both tables are chained: a snapshot is what a dispute over a
weighing rests on, and its removal under the retention policy must be as verifiable as its taking.

Added in migration 0016; registered in MIGRATED_MODULES, so `intake audit verify`, the sync
outbox and the schema check cover them.
"""
from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Optional

from sqlmodel import Field, SQLModel

from intake.store.tables import utcnow


class DeckSnapshot(SQLModel, table=True):
    """One view of one weighing: the stored JPEG and its SHA-256, or why the view is missing."""
    __tablename__ = "deck_snapshot"
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    weighing_id: int = Field(foreign_key="weighing.id", index=True)
    visit_id: str = Field(foreign_key="visit.id", index=True)
    lane: str = Field(index=True)
    kind: str                                        # the weighing's kind: "in" | "out"
    view: str                                        # the camera's view name: front, rear, top, cab, ...
    path: Optional[str] = None                       # relative to the site's data_dir; None: missing
    sha256: Optional[str] = None
    size_bytes: Optional[int] = None
    width: Optional[int] = None
    height: Optional[int] = None
    missing: Optional[str] = None                    # why there is no photo (camera error, timeout)
    taken_at: datetime = Field(default_factory=utcnow)


class SnapshotRemoval(SQLModel, table=True):
    """One visit's deck snapshots removed under the retention policy (the records stay)."""
    __tablename__ = "snapshot_removal"
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    visit_id: str = Field(foreign_key="visit.id", index=True)
    rule: str
    files: int
    bytes_freed: int
    removed_at: datetime = Field(default_factory=utcnow)
