"""GET /frames/<frame_id>: a sample photo by its record ID, for logged-in staff only (reviewers,
and the remote attendants whose console shows each lane's latest sample).

The client names a record, never a file: the path comes from the Frame row, is resolved under
the site's data_dir and must stay inside it (no `..`, no absolute path, no symlink out), and the
bytes must still match the recorded SHA-256.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from sqlalchemy.engine import Engine

from intake.auth.sessions import Principal
from intake.store.db import read_only
from intake.store.paths import resolve_under
from intake.store.reviews import frame_path
from intake.web.ids import PathId
from intake.web.staff import Staff

log = logging.getLogger(__name__)
MAX_FRAME_BYTES = 32 * 1024 * 1024


def frames_router(staff: Staff, engine: Engine, data_dir: Path | None) -> APIRouter:
    router = APIRouter(tags=["frames"])
    reader = read_only(engine)   # a frame lookup never takes the gate's write lock

    @router.get("/frames/{frame_id:int}")
    def frame(frame_id: PathId, who: Principal = Depends(staff.page("staff"))) -> Response:
        record = frame_path(reader, frame_id) if data_dir is not None else None
        if record is None:
            raise HTTPException(status_code=404, detail="no such frame")
        path = resolve_under(data_dir, record[0])  # type: ignore[arg-type]
        if path is None or not path.is_file() or path.stat().st_size > MAX_FRAME_BYTES:
            log.warning("frame %s: stored path %r not servable", frame_id, record[0])
            raise HTTPException(status_code=404, detail="no such frame")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != record[1]:
            log.error("frame %s: file does not match its recorded sha256", frame_id)
            raise HTTPException(status_code=409, detail="frame file does not match its record")
        return Response(data, media_type="image/png",
                        headers={"Cache-Control": "no-store", "X-Frame-Sha256": record[1]})

    return router
