"""The deck snapshot files against their records, for `intake audit verify`: the chain vouches
for each row (and so for its SHA-256); this says whether the file on disk is still that file.

  file_changed   the file's SHA-256 is not the one its chained record holds
  file_missing   the file is gone and no chained SnapshotRemoval says it was removed
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.evidence.store import file_state
from intake.evidence.tables import DeckSnapshot, SnapshotRemoval
from intake.store.audit import Problem

BATCH = 500


def check_files(engine: Engine, data_dir: Path) -> tuple[int, list[Problem]]:
    """(files checked, problems), reading every stored snapshot once, in id order."""
    with Session(engine) as session:
        removed = set(session.exec(select(SnapshotRemoval.visit_id)))
    checked, problems = 0, list[Problem]()
    after = 0
    while True:
        with Session(engine) as session:
            rows = list(session.exec(select(DeckSnapshot).where(col(DeckSnapshot.id) > after,
                                                                col(DeckSnapshot.path).is_not(None))
                                     .order_by(col(DeckSnapshot.id)).limit(BATCH)))
        if not rows:
            return checked, problems
        for row in rows:
            checked += 1
            state = file_state(data_dir, row, row.visit_id in removed)
            if state == "changed":
                problems.append(Problem("file_changed", None, "deck_snapshot", str(row.id),
                                        f"{row.path}: SHA-256 differs from the record"))
            elif state == "gone":
                problems.append(Problem("file_missing", None, "deck_snapshot", str(row.id),
                                        f"{row.path}: file gone without a removal record"))
        after = rows[-1].id or after
