"""The inspection measures particles on the frames that passed the quality gate and stores the
figures on the Inspection record; without a calibration it stores "not measured" and a rule
that needs the figure sends the load to REVIEW. Real camera (image files read by OpenCV), real
ONNX model, real SQLite."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import jinja2
import numpy as np

from intake.config import load_config
from intake.inspection import camera_scale
from intake.store.tables import Inspection
from intake.web.localtime import SiteTime
from intake.web.staff_i18n import install as install_words
from vision.calibration import Calibration, save_atomic
from vision.synth.particles_known import known_sample
from tests.intake.web.staff_support import visible_text

ROOT = Path(__file__).resolve().parents[2]
MM_PER_PX = 0.25


def test_measurements_of_known_grains_are_stored_on_the_inspection(inspect_frames):
    samples = [known_sample(np.random.default_rng(seed), MM_PER_PX, size=640) for seed in (11, 12)]
    judgement, row = inspect_frames([s.image for s in samples], mm_per_px=MM_PER_PX)
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
    install_words(env, SiteTime())     # the staff pages' words, as create_app installs them
    return env.get_template("_measurements.html").render(insp=row)


def test_without_a_calibration_nothing_is_measured_and_a_sand_limit_holds_the_load(inspect_frames):
    sample = known_sample(np.random.default_rng(3), MM_PER_PX, size=640, width_range=(1.0, 3.0))
    judgement, row = inspect_frames([sample.image], mm_per_px=None)
    assert row.measurements == {**row.measurements, "measured": False, "reason": "no_calibration"}
    assert judgement.verdict == "review"
    assert "未测量 Not measured (no_calibration)." in visible_text(_render(row))


def test_the_calibration_file_gives_the_scale_and_a_broken_one_does_not_stop_anything(tmp_path):
    cfg = load_config(ROOT / "intake/demo/demo.toml").lanes[0].camera
    path = tmp_path / "camera-calibration.json"
    save_atomic(path, Calibration(source="0", target="checkerboard:9x6:25", px_per_mm=4.0, mm_per_px=0.25,
                                  corners_found=54, created=datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)))
    assert camera_scale(cfg.model_copy(update={"mm_per_px": None, "calibration": path})) == (0.25, None)
    path.write_text("{not json", encoding="utf-8")
    assert camera_scale(cfg.model_copy(update={"mm_per_px": None, "calibration": path})) == (
        None, "calibration_unreadable")
    assert camera_scale(cfg.model_copy(update={"mm_per_px": None})) == (None, "no_calibration")
