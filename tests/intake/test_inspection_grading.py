"""The inspection grades the good frames of a calibrated camera, stores the grading beside the
particle figures, and the judge uses it; without a calibration a rule with grading limits holds
the load. Real camera (image files read by OpenCV), real ONNX model, real SQLite."""
from __future__ import annotations

import numpy as np
import pytest

from intake.config import MaterialRule
from vision.grading import combine, grade
from vision.real import load, photos
from vision.synth.generator import generate

REJECT_SAND = {"clean_gravel": "wrong_material", "muddy": "muddy", "foreign": "foreign_matter"}
FINE_SAND = MaterialRule(name_zh="细砂", accept=["clean_sand"], reject=REJECT_SAND, min_confidence=0.6,
                         max_d50_mm=1.0)


def test_the_grading_of_the_good_frames_is_stored_in_millimetres(inspect_frames):
    frames = [load(p) for p in photos("val")[:2]]
    _, row = inspect_frames(frames, mm_per_px=0.1)
    g = row.measurements["grading"]
    expected = combine([grade(f, 0.1) for f in frames], 0.1)
    assert g["measured"] is True and g["frames"] == 2
    assert g["d50_mm"] == pytest.approx(expected.d50_mm, rel=1e-3)
    assert g["d50_mm"] == pytest.approx(g["d50_px"] * 0.1, rel=1e-3)
    assert g["d10_mm"] <= g["d50_mm"] <= g["d90_mm"]


def test_a_gravel_sized_d50_on_a_sand_order_is_the_wrong_material(inspect_frames):
    rng = np.random.default_rng(5)
    judgement, row = inspect_frames([generate("clean_gravel", rng, size=256) for _ in range(2)],
                                    material="fine", rules={"fine": FINE_SAND}, mm_per_px=0.5)
    assert row.measurements["grading"]["d50_mm"] > 1.0
    assert judgement.verdict == "reject"
    assert judgement.reasons[:2] == ["wrong_material", "d50_above_max"]


def test_without_a_calibration_a_rule_with_grading_limits_never_passes(inspect_frames):
    rng = np.random.default_rng(6)
    judgement, row = inspect_frames([generate("clean_sand", rng, size=256)], material="fine",
                                    rules={"fine": FINE_SAND}, mm_per_px=None)
    assert row.measurements["grading"] == {"measured": False, "reason": "no_calibration"}
    assert judgement.verdict == "review" and "grading_not_measured" in judgement.reasons


def test_the_review_page_shows_the_grading_or_why_not(inspect_frames):
    from tests.intake.test_inspection_particles import _render
    from tests.intake.web.staff_support import visible_text

    _, row = inspect_frames([load(photos("val")[0])], mm_per_px=0.1)
    g = row.measurements["grading"]
    assert (f'data-testid="grading-d">{g["d10_mm"]:.2f} / {g["d50_mm"]:.2f} / {g["d90_mm"]:.2f} mm<'
            in _render(row))
    row.measurements = {**row.measurements, "grading": {"measured": False, "reason": "no_calibration"}}
    assert "未测级配 Not graded (no_calibration)." in visible_text(_render(row))


def test_no_frame_through_the_quality_gate_is_not_graded_and_held(inspect_frames):
    black = np.zeros((256, 256, 3), np.uint8)
    judgement, row = inspect_frames([black, black.copy()], material="fine", rules={"fine": FINE_SAND},
                                    mm_per_px=0.5)
    assert row.measurements["grading"] == {"measured": False, "reason": "no_good_frame"}
    assert judgement.verdict == "review"
