"""Shared set-up for the deck evidence tests: a real SQLite store with two weighed visits and
real image and video files for OpenCV to read."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np

from hardware.camera.capture import Camera
from hardware.sim.trucks import DEMO_MIX
from intake.config import EvidenceCameraConfig
from intake.demo import masterdata
from intake.evidence.desk import EvidenceDesk, View, Weighed
from intake.store.db import open_engine
from intake.store.records import Records
from intake.web.localtime import SiteTime

KEY = b"test-site-audit-key-0123456789"
NOW = datetime(2026, 12, 6, 6, 30, 5, tzinfo=timezone.utc)   # 14:30:05 in Shanghai


def scene(seed: int, shape: tuple[int, int] = (360, 640)) -> np.ndarray:
    """A textured picture (so JPEG bytes differ from picture to picture)."""
    rng = np.random.default_rng(seed)
    img = cv2.resize(rng.integers(0, 255, (shape[0] // 8, shape[1] // 8, 3), dtype=np.uint8), shape[::-1])
    cv2.rectangle(img, (100, 100), (400, 250), (30, 140, 220), -1)
    return img


def image_file(folder: Path, name: str, seed: int) -> Path:
    path = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), scene(seed))
    return path


def video_file(folder: Path, name: str = "rear.avi", frames: int = 5) -> Path:
    path = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5.0, (640, 360))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(scene(100 + i))
    writer.release()
    return path


def store(tmp_path: Path) -> tuple[Records, list[tuple[int, str, str]]]:
    """A store with one truck weighed in and out: [(weighing id, visit, kind), ...]."""
    records = Records(open_engine(f"sqlite:///{tmp_path / 'gate.db'}", KEY))
    masterdata.seed(records.engine, list(DEMO_MIX[:1]))
    adm = records.admit(DEMO_MIX[0].plate, "1")
    assert not isinstance(adm, str) and hasattr(adm, "visit")
    weighed = [(records.record_weight(adm.visit, "in", 39_800, "pty"), adm.visit, "in")]
    records.record_decision(adm.visit, None, [], None)
    records.admit(DEMO_MIX[0].plate, "1")
    weighed.append((records.record_weight(adm.visit, "out", 14_200, "pty"), adm.visit, "out"))
    return records, weighed


def desk(records: Records, data_dir: Path, sources: dict[str, str], timeout_s: float = 2.0) -> EvidenceDesk:
    views = [View(cfg := EvidenceCameraConfig(view=name, source=src, timeout_s=timeout_s),
                  Camera(cfg.source, timeout_s=cfg.timeout_s)) for name, src in sources.items()]
    return EvidenceDesk(records.engine, data_dir, {"1": views}, SiteTime("Asia/Shanghai"), now=lambda: NOW)


def job(weighing: tuple[int, str, str], kg: int = 39_800) -> Weighed:
    return Weighed(weighing[0], weighing[1], "1", weighing[2], DEMO_MIX[0].plate, kg)


def photograph(records: Records, data_dir: Path, visit: str, cams: Path, broken_view: str | None = None) -> list:
    """Front and rear snapshots (plus `broken_view` from a camera that is not there) of every
    weighing of `visit`, taken by the desk from real files."""
    from sqlmodel import Session, col, select

    from intake.store.tables import Weighing

    sources = {"front": str(image_file(cams, "front.png", 1)), "rear": str(video_file(cams))}
    if broken_view:
        sources[broken_view] = str(cams / "gone.png")
    d = desk(records, data_dir, sources)
    with Session(records.engine) as session:
        weighings = list(session.exec(select(Weighing).where(Weighing.visit_id == visit).order_by(col(Weighing.id))))
    rows = []
    for w in weighings:
        rows += asyncio.run(d.take(Weighed(w.id, visit, "1", w.kind, "沪A·S1001", w.weight_kg)))
    return rows
