"""Deck evidence on the pages: each snapshot of a visit with the state of its file and record,
and the two routes that serve the JPEGs.

- `/evidence/<id>`: for logged-in staff (the inspection page's thumbnails);
- `/t/<code>/evidence/<id>`: for whoever holds the ticket's code (its verify page), only for a
  snapshot of that ticket's visit.

The client names a record, never a file; the bytes are served only while the record verifies
against its chain link and the file still has the SHA-256 the record holds. A changed file is
answered 409 and shown on the page as changed, a removed one as removed, never as a broken image.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.auth.sessions import Principal
from intake.evidence.store import FileState, file_state, read_file, removal_of, snapshot, snapshots_of
from intake.evidence.tables import DeckSnapshot, SnapshotRemoval
from intake.store.db import read_only
from intake.ticket.tables import Ticket
from intake.web.ids import PathId
from intake.web.staff import Staff
from intake.web.verified import failing

log = logging.getLogger(__name__)
_CODE = re.compile(r"^[A-Za-z2-7]{16}$")
VIEW_WORDS = {"front": "车头", "rear": "车尾", "top": "顶部", "cab": "驾驶室", "left": "左侧", "right": "右侧"}


@dataclass(frozen=True)
class Shown:
    """One snapshot as a page shows it."""
    row: DeckSnapshot
    state: FileState
    record_ok: bool      # the row verifies against its chain link

    @property
    def servable(self) -> bool:
        return self.record_ok and self.state == "ok"

    @property
    def view_zh(self) -> str:
        return VIEW_WORDS.get(self.row.view, self.row.view)


@dataclass(frozen=True)
class Evidence:
    """A visit's deck evidence for a page: grouped by weighing, weigh-in first."""
    shots: list[Shown]
    removal: SnapshotRemoval | None

    def by_weighing(self) -> list[tuple[str, list[Shown]]]:
        groups: dict[int, list[Shown]] = {}
        for shot in self.shots:
            groups.setdefault(shot.row.weighing_id, []).append(shot)
        return [(group[0].row.kind, group) for _, group in sorted(groups.items())]

    @property
    def changed(self) -> list[Shown]:
        return [s for s in self.shots if s.state == "changed" or not s.record_ok]


def visit_evidence(engine: Engine, reader: Engine, data_dir: Path | None, visit_id: str) -> Evidence:
    rows = snapshots_of(reader, visit_id)
    if not rows:
        return Evidence([], None)
    removal = removal_of(reader, visit_id)
    bad = failing(engine, reader, DeckSnapshot, [r.id for r in rows])
    return Evidence([Shown(r, file_state(data_dir, r, removal is not None) if data_dir else "gone",
                           r.id not in bad) for r in rows], removal)


def _serve(engine: Engine, reader: Engine, data_dir: Path | None, row: DeckSnapshot | None) -> Response:
    if row is None or data_dir is None or row.sha256 is None:
        raise HTTPException(status_code=404, detail="no such snapshot")
    if failing(engine, reader, DeckSnapshot, [row.id]):
        raise HTTPException(status_code=409, detail="snapshot record fails verification")
    data = read_file(data_dir, row)
    if data is None:
        raise HTTPException(status_code=404, detail="snapshot file removed or missing")
    if hashlib.sha256(data).hexdigest() != row.sha256:
        log.error("deck snapshot %s: file does not match its recorded sha256", row.id)
        raise HTTPException(status_code=409, detail="snapshot file does not match its record")
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store", "X-Snapshot-Sha256": row.sha256})


def evidence_router(staff: Staff, engine: Engine, data_dir: Path | None) -> APIRouter:
    router = APIRouter(tags=["evidence"])
    reader = read_only(engine)

    @router.get("/evidence/{snapshot_id:int}")
    def staff_snapshot(snapshot_id: PathId, who: Principal = Depends(staff.page("staff"))) -> Response:
        # Any staff role: the attendant's console shows the deck snapshots beside the lane.
        return _serve(engine, reader, data_dir, snapshot(reader, snapshot_id))

    return router


def ticket_evidence_router(engine: Engine, data_dir: Path | None) -> APIRouter:
    """Public: the ticket's code is the permission, as for /t/<code> itself."""
    router = APIRouter()
    reader = read_only(engine)

    @router.get("/t/{code}/evidence/{snapshot_id:int}", include_in_schema=False)
    def ticket_snapshot(code: str, snapshot_id: PathId) -> Response:
        visit = _ticket_visit(reader, code.upper()) if _CODE.match(code) else None
        row = snapshot(reader, snapshot_id) if visit is not None else None
        return _serve(engine, reader, data_dir, row if row is not None and row.visit_id == visit else None)

    return router


def _ticket_visit(reader: Engine, code: str) -> str | None:
    with Session(reader) as session:
        return session.exec(select(Ticket.visit_id).where(Ticket.code == code)).first()
