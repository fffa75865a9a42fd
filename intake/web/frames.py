"""GET /frames/<frame_id>: a sample photo by its record ID, for logged-in staff only (reviewers,
and the remote attendants whose console shows each lane's latest sample); and
GET /frames/<frame_id>/thumb: a small JPEG of it for the queue.

The client names a record, never a file: the path comes from the Frame row, is resolved under
the site's data_dir and must stay inside it (no `..`, no absolute path, no symlink out), and the
bytes must still match the recorded SHA-256 (a thumbnail too is made only from bytes that do).
Thumbnails are kept in memory only, keyed by the photo's SHA-256, and served only while the
photo's file is there: nothing is written beside the photos, so a removal under the retention
policy leaves no copy behind.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from sqlalchemy.engine import Engine

from intake.auth.sessions import Principal
from intake.store.db import read_only
from intake.store.paths import resolve_under
from intake.store.reviews import frame_path
from intake.web.ids import PathId
from intake.web.staff import Staff
from vision.thumbnail import thumbnail

log = logging.getLogger(__name__)
MAX_FRAME_BYTES = 32 * 1024 * 1024
THUMBS_KEPT: Final[int] = 1024      # about 5 kB each


class ThumbCache:
    """The newest thumbnails by photo SHA-256, bounded."""

    def __init__(self, size: int = THUMBS_KEPT) -> None:
        self.size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha: str) -> bytes | None:
        with self._lock:
            if sha in self._items:
                self._items.move_to_end(sha)
            return self._items.get(sha)

    def put(self, sha: str, data: bytes) -> None:
        with self._lock:
            self._items[sha] = data
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def frames_router(staff: Staff, engine: Engine, data_dir: Path | None) -> APIRouter:
    router = APIRouter(tags=["frames"])
    reader = read_only(engine)   # a frame lookup never takes the gate's write lock
    thumbs = ThumbCache()

    def stored(frame_id: int) -> tuple[Path, str]:
        """The photo's file (it exists, inside data_dir) and its recorded SHA-256; 404 if not."""
        record = frame_path(reader, frame_id) if data_dir is not None else None
        if record is None:
            raise HTTPException(status_code=404, detail="no such frame")
        path = resolve_under(data_dir, record[0])  # type: ignore[arg-type]
        if path is None or not path.is_file() or path.stat().st_size > MAX_FRAME_BYTES:
            log.warning("frame %s: stored path %r not servable", frame_id, record[0])
            raise HTTPException(status_code=404, detail="no such frame")
        return path, record[1]

    def verified(frame_id: int) -> tuple[bytes, str]:
        path, sha = stored(frame_id)
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:
            log.error("frame %s: file does not match its recorded sha256", frame_id)
            raise HTTPException(status_code=409, detail="frame file does not match its record")
        return data, sha

    @router.get("/frames/{frame_id:int}")
    def frame(frame_id: PathId, who: Principal = Depends(staff.page("staff"))) -> Response:
        data, sha = verified(frame_id)
        return Response(data, media_type="image/png", headers={"Cache-Control": "no-store", "X-Frame-Sha256": sha})

    @router.get("/frames/{frame_id:int}/thumb")
    def thumb(frame_id: PathId, who: Principal = Depends(staff.page("reviewer"))) -> Response:
        # The file must still be there: a photo removed under retention has no thumbnail either.
        small = thumbs.get(stored(frame_id)[1])
        if small is None:
            data, sha = verified(frame_id)
            try:
                small = thumbnail(data)
            except ValueError:
                raise HTTPException(status_code=422, detail="frame file is not an image") from None
            thumbs.put(sha, small)
        return Response(small, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    return router
