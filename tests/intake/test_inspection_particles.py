"""The inspection measures particles on the frames that passed the quality gate and stores the
figures on the Inspection record; without a calibration it stores "not measured" and a rule
that needs the figure sends the load to REVIEW. Real camera (image files read by OpenCV), real
ONNX model, real SQLite."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import cv2
import jinja2
import numpy as np
import pytest
from sqlmodel import Session, select

from hardware.camera.capture import Camera
from hardware.sim.clock import SimClock
from hardware.sim.trucks import DEMO_MIX
from intake.config import load_config
from intake.demo import masterdata
from intake.inspection import Inspector, camera_scale
from intake.store.db import open_engine
from intake.store.records import Admission, Records
from intake.store.tables import Inspection, Sample
from vision.calibration import Calibration, save_atomic
from vision.classifier import OnnxClassifier
from vision.synth.particles_known import known_sample

ROOT = Path(__file__).resolve().parents[2]
KEY = b"test-site-audit-key-0123456789"
MM_PER_PX = 0.25


@pytest.fixture(scope="module")
def classifier() -> OnnxClassifier:
    return OnnxClassifier.load(ROOT / "models/intake-classifier/model.onnx")


def _inspector(tmp_path: Path, classifier: OnnxClassifier, camera_update: dict, frames: list[np.ndarray]):
    cfg = load_config(ROOT / "intake/demo/demo.toml")
    folder = tmp_path / "camera"
    folder.mkdir()
    for i, image in enumerate(frames):
        cv2.imwrite(str(folder / f"frame_{i:03d}.png"), image)
    lane = cfg.lanes[0]
    lane = lane.model_copy(update={"camera": lane.camera.model_copy(update={"frames": len(frames), **camera_update})})
    cfg = cfg.model_copy(update={"site": cfg.site.model_copy(update={"data_dir": tmp_path / "data"}),
                                 "lanes": [lane]})
    records = Records(open_engine(f"sqlite:///{tmp_path / 'gate.db'}", KEY))
    masterdata.seed(records.engine, [DEMO_MIX[0]])
    camera = Camera(str(folder / "frame_%03d.png"), timeout_s=5.0)
    inspector = Inspector(cfg, lane, records, sampler=None, camera=camera, classifier=classifier,
                          model_sha256=classifier.card.sha256, abstain_below=0.0, clock=SimClock(1.0))
    return inspector, records, camera


def _inspect(inspector: Inspector, records: Records, material: str = "sand"):
    adm = records.admit(DEMO_MIX[0].plate, "1")
    assert isinstance(adm, Admission)
    adm = Admission(adm.visit, adm.kind, adm.plate, adm.supplier, material, adm.bed_mm)
    sample_id = records.record_sample(Sample(visit_id=adm.visit, blind_code=12_345_678, draw=0.1,
                                             points_m=[[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]]))
    judgement, _ = inspector._judge_frames(adm, sample_id)
    with Session(records.engine) as session:
        row = session.exec(select(Inspection).where(Inspection.sample_id == sample_id)).one()
    return judgement, row


def test_measurements_of_known_grains_are_stored_on_the_inspection(tmp_path, classifier):
    samples = [known_sample(np.random.default_rng(seed), MM_PER_PX, size=640) for seed in (11, 12)]
    inspector, records, camera = _inspector(tmp_path, classifier, {"mm_per_px": MM_PER_PX},
                                            [s.image for s in samples])
    try:
        judgement, row = _inspect(inspector, records)
    finally:
        camera.close()
    m = row.measurements
    assert m["measured"] is True and m["frames"] == 2 and m["mm_per_px"] == MM_PER_PX
    truth = max(s.largest_mm for s in samples)
    assert abs(m["largest_mm"] - truth) <= 0.1 * truth
    assert m["count"] >= 0.9 * min(len(s.grains) for s in samples)
    # Grains up to 12 mm in "sand" whose limit is 9.5 mm: never a pass.
    assert judgement.verdict != "pass"
    html = _render(row)
    assert f'data-testid="particle-largest">{m["largest_mm"]:.1f} mm<' in html
    assert f'{m["count"]} in 2 frames' in html and " %</dd>" in html


def _render(row: Inspection) -> str:
    """The review page's particle block, from the stored record."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "intake/web/templates"), autoescape=True)
    return env.get_template("_measurements.html").render(insp=row)


def test_without_a_calibration_nothing_is_measured_and_a_sand_limit_holds_the_load(tmp_path, classifier):
    sample = known_sample(np.random.default_rng(3), MM_PER_PX, size=640, width_range=(1.0, 3.0))
    inspector, records, camera = _inspector(tmp_path, classifier, {"mm_per_px": None}, [sample.image])
    try:
        judgement, row = _inspect(inspector, records)
    finally:
        camera.close()
    assert row.measurements == {**row.measurements, "measured": False, "reason": "no_calibration"}
    assert judgement.verdict == "review"
    assert "Not measured (no_calibration)." in _render(row)


def test_the_calibration_file_gives_the_scale_and_a_broken_one_does_not_stop_anything(tmp_path):
    cfg = load_config(ROOT / "intake/demo/demo.toml").lanes[0].camera
    path = tmp_path / "camera-calibration.json"
    save_atomic(path, Calibration(source="0", target="checkerboard:9x6:25", px_per_mm=4.0, mm_per_px=0.25,
                                  corners_found=54, created=datetime.now(timezone.utc)))
    assert camera_scale(cfg.model_copy(update={"mm_per_px": None, "calibration": path})) == (0.25, None)
    path.write_text("{not json", encoding="utf-8")
    assert camera_scale(cfg.model_copy(update={"mm_per_px": None, "calibration": path})) == (
        None, "calibration_unreadable")
    assert camera_scale(cfg.model_copy(update={"mm_per_px": None})) == (None, "no_calibration")
