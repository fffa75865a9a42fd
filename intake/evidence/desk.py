"""The evidence worker: a snapshot from each of the lane's evidence cameras at every stable
weight, off the lane's control loop.

The lane driver hands over a `Weighed` once the weighing is committed (`submit`, which never
waits: the sampler command and the barrier do not depend on the cameras). The worker grabs every
view of the weighing at once, each on its own thread with the camera's own deadline, burns the
watermark in, writes the JPEGs under data_dir/evidence/<visit>/ and then the chained
`DeckSnapshot` rows in one transaction. A camera that fails, times out or returns no frame leaves
a row naming the view and why; nothing here can hold a truck or fail the lane.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session

from intake.config import EvidenceCameraConfig, GateConfig
from intake.evidence.tables import DeckSnapshot
from intake.evidence.watermark import caption, stamp
from intake.store.tables import utcnow
from intake.web.localtime import SiteTime

log = logging.getLogger(__name__)
QUEUE_SIZE = 8          # weighings waiting for their snapshots; a lane weighs one truck at a time
_CREDENTIALS = re.compile(r"://[^/@\s]*@")
DRAIN_S = 10.0          # wall seconds the gate waits at shutdown for snapshots in progress


class SnapshotCamera(Protocol):
    def grab(self, n: int) -> list[np.ndarray]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Weighed:
    """A committed weighing, as the lane driver hands it over."""
    weighing_id: int
    visit: str
    lane: str
    kind: str
    plate: str
    weight_kg: int


@dataclass(frozen=True)
class View:
    cfg: EvidenceCameraConfig
    camera: SnapshotCamera


@dataclass(frozen=True)
class Shot:
    """What one view gave: the JPEG bytes and size, or why there are none."""
    view: str
    jpeg: bytes | None = None
    width: int | None = None
    height: int | None = None
    missing: str | None = None


class EvidenceDesk:
    def __init__(self, engine: Engine, data_dir: Path, views: dict[str, list[View]], site_time: SiteTime,
                 now: Callable[[], datetime] = utcnow) -> None:
        self.engine, self.data_dir, self.views, self.site_time, self.now = engine, data_dir, views, site_time, now
        self.counts: Counter[tuple[str, str, str]] = Counter()   # (lane, view, ok|missing), for /metrics
        self.dropped: Counter[str] = Counter()                    # weighings not photographed: queue full
        self.failed: Counter[str] = Counter()                     # weighings whose rows could not be written
        self._jobs: asyncio.Queue[Weighed] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._task: asyncio.Task[None] | None = None

    def hand_over(self, lane: str) -> Callable[[int, str, str, str, int], None]:
        """The lane driver's `on_weighed` for this lane."""
        def weighed(weighing: int, visit: str, kind: str, plate: str, weight_kg: int) -> None:
            self.submit(Weighed(weighing, visit, lane, kind, plate, weight_kg))
        return weighed

    def has_cameras(self, lane: str) -> bool:
        return bool(self.views.get(lane))

    def submit(self, job: Weighed) -> None:
        """Called by the lane loop right after the weighing is committed; never waits."""
        if not self.has_cameras(job.lane):
            return
        try:
            self._jobs.put_nowait(job)
        except asyncio.QueueFull:
            self.dropped[job.lane] += 1
            log.error("lane %s: evidence queue full, no snapshots for weighing %s", job.lane, job.weighing_id)

    def health(self) -> dict[str, object]:
        """For /health: whether the worker runs, what waits, and the views missing so far."""
        running = self._task is not None and not self._task.done()
        missing = sum(n for (_lane, _view, outcome), n in self.counts.items() if outcome == "missing")
        return {"worker": "ok" if running else "stopped", "queued": self._jobs.qsize(), "missing_views": missing,
                "lost_weighings": sum(self.dropped.values()) + sum(self.failed.values())}

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="evidence")

    async def close(self) -> None:
        """Finish the snapshots already asked for (bounded), then stop and release the cameras."""
        if self._task is not None:
            try:
                await asyncio.wait_for(self._jobs.join(), DRAIN_S)
            except TimeoutError:
                log.warning("evidence: %d weighings left without snapshots at shutdown", self._jobs.qsize())
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for views in self.views.values():
            for view in views:
                await asyncio.to_thread(view.camera.close)

    async def _run(self) -> None:
        while True:
            job = await self._jobs.get()
            try:
                await self.take(job)
            except Exception:   # a bug or the store in trouble: the lane is not ours to stop
                self.failed[job.lane] += 1
                log.exception("lane %s: evidence for weighing %s not recorded", job.lane, job.weighing_id)
            finally:
                self._jobs.task_done()

    async def take(self, job: Weighed) -> list[DeckSnapshot]:
        """Every view of one weighing, grabbed at once, then stored and recorded."""
        at = self.now()
        views = self.views.get(job.lane, [])
        lines = {v.cfg.view: caption(job.plate, job.weight_kg, self.site_time.second(at), job.lane,
                                     v.cfg.view, job.kind) for v in views}
        shots = await asyncio.gather(*(self._shoot(v, lines[v.cfg.view]) for v in views))
        rows = await asyncio.to_thread(self._store, job, list(shots), at)
        for row in rows:
            self.counts[(job.lane, row.view, "missing" if row.missing else "ok")] += 1
        return rows

    async def _shoot(self, view: View, lines: list[str]) -> Shot:
        name = view.cfg.view
        try:
            # The camera bounds each open and read itself; this bounds the whole grab and stamp.
            return await asyncio.wait_for(asyncio.to_thread(_snapshot, view, lines), view.cfg.timeout_s * 3)
        except TimeoutError:
            return Shot(name, missing=f"snapshot timed out after {view.cfg.timeout_s * 3:g} s")
        except Exception as exc:   # CameraError, a broken image: the view is missing, and says why
            log.warning("evidence camera %s: %s", name, exc)
            return Shot(name, missing=why_missing(exc, view.cfg.source))

    def _store(self, job: Weighed, shots: list[Shot], at: datetime) -> list[DeckSnapshot]:
        folder = self.data_dir / "evidence" / job.visit
        rows = []
        for shot in shots:
            row = DeckSnapshot(weighing_id=job.weighing_id, visit_id=job.visit, lane=job.lane, kind=job.kind,
                               view=shot.view, missing=shot.missing, taken_at=at)
            if shot.jpeg is not None:
                path = folder / f"{job.weighing_id}-{shot.view}.jpg"
                _write_durably(path, shot.jpeg)
                row.path = str(path.relative_to(self.data_dir))
                row.sha256 = hashlib.sha256(shot.jpeg).hexdigest()
                row.size_bytes, row.width, row.height = len(shot.jpeg), shot.width, shot.height
            rows.append(row)
        with Session(self.engine) as session:   # the files are durable before the records name them
            session.add_all(rows)
            session.commit()
            for row in rows:
                session.refresh(row)
            session.expunge_all()
        return rows


def open_desk(cfg: GateConfig, engine: Engine) -> EvidenceDesk | None:
    """The desk for the lanes that have evidence cameras; None when no lane has one. The
    cameras open at the first snapshot (a camera absent at start is a missing view, not a
    gate that will not start)."""
    from hardware.camera.capture import Camera

    views = {lane.id: [View(cam, Camera(cam.source, timeout_s=cam.timeout_s)) for cam in lane.evidence]
             for lane in cfg.lanes if lane.evidence}
    if not views:
        return None
    return EvidenceDesk(engine, cfg.site.data_dir, views, SiteTime(cfg.sampling.timezone))


def why_missing(exc: BaseException, source: str) -> str:
    """The camera's error for the record and the pages, without its source: an RTSP URL may
    carry the camera's password, and the ticket's verify page is public."""
    text = (str(exc).splitlines() or [type(exc).__name__])[0].replace(source, "camera")
    return _CREDENTIALS.sub("://", text).removeprefix("camera: ")[:200] or type(exc).__name__


def _snapshot(view: View, lines: list[str]) -> Shot:
    frames = view.camera.grab(1)
    image = stamp(frames[-1], lines)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, view.cfg.jpeg_quality])
    if not ok:
        raise ValueError("cannot encode the snapshot as JPEG")
    height, width = image.shape[:2]
    return Shot(view.cfg.view, buf.tobytes(), int(width), int(height))


def _write_durably(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
