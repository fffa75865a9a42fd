"""Shared by the inspection tests: the real Inspector over frames written as a camera folder
(OpenCV reads them), the real ONNX model and a fresh SQLite store, for one truck of the demo."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np
import pytest
from sqlmodel import Session, select

from hardware.camera.capture import Camera
from hardware.sim.clock import SimClock
from hardware.sim.trucks import DEMO_MIX
from intake.config import load_config
from intake.demo import masterdata
from intake.inspection import Inspector
from vision.judging import Judgement
from intake.store.db import open_engine
from intake.store.records import Admission, Records
from intake.store.tables import Inspection, Sample
from vision.classifier import OnnxClassifier

ROOT = Path(__file__).resolve().parents[2]
KEY = b"test-site-audit-key-0123456789"

InspectFrames = Callable[..., tuple[Judgement, Inspection]]


@pytest.fixture(scope="module")
def classifier() -> OnnxClassifier:
    return OnnxClassifier.load(ROOT / "models/intake-classifier/model.onnx")


@pytest.fixture
def inspect_frames(tmp_path: Path, classifier: OnnxClassifier) -> InspectFrames:
    """inspect_frames(frames, material=..., abstain_below=..., rules={name: MaterialRule},
    **camera settings) -> (judgement, the stored Inspection row). `abstain_below=None`: the model card's own."""
    def run(frames: list[np.ndarray], *, material: str = "sand", abstain_below: float | None = 0.0,
            rules: dict[str, Any] | None = None, **camera: Any) -> tuple[Judgement, Inspection]:
        folder = tmp_path / "camera"
        folder.mkdir()
        for i, image in enumerate(frames):
            cv2.imwrite(str(folder / f"frame_{i:03d}.png"), image)
        cfg = load_config(ROOT / "intake/demo/demo.toml")
        lane = cfg.lanes[0]
        lane = lane.model_copy(update={"camera": lane.camera.model_copy(update={"frames": len(frames), **camera})})
        cfg = cfg.model_copy(update={"site": cfg.site.model_copy(update={"data_dir": tmp_path / "data"}),
                                     "lanes": [lane], "materials": {**cfg.materials, **(rules or {})}})
        records = Records(open_engine(f"sqlite:///{tmp_path / 'gate.db'}", KEY))
        masterdata.seed(records.engine, [DEMO_MIX[0]])
        cam = Camera(str(folder / "frame_%03d.png"), timeout_s=5.0)
        inspector = Inspector(cfg, lane, records, sampler=None, camera=cam, classifier=classifier,
                              model_sha256=classifier.card.sha256, clock=SimClock(1.0),
                              abstain_below=classifier.card.abstain_confidence if abstain_below is None else abstain_below)
        try:
            adm = records.admit(DEMO_MIX[0].plate, "1")
            assert isinstance(adm, Admission)
            adm = Admission(adm.visit, adm.kind, adm.plate, adm.supplier, material, adm.bed_mm)
            sample_id = records.record_sample(Sample(visit_id=adm.visit, blind_code=12_345_678, draw=0.1,
                                                     points_m=[[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]]))
            judgement, _ = inspector._judge_frames(adm, sample_id)
        finally:
            cam.close()
        with Session(records.engine) as session:
            row = session.exec(select(Inspection).where(Inspection.sample_id == sample_id)).one()
        return judgement, row
    return run
