"""Wavelet grading of packed material: sizes scale with the grains, mm follow the camera."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from vision.grading import FACTORS, grade, percentiles


def packed(radius: int, seed: int, side: int = 320) -> np.ndarray:
    """A bed of overlapping discs of one radius and random grey tones."""
    rng = np.random.default_rng(seed)
    img = np.full((side, side, 3), 90, np.uint8)
    for _ in range(int(3 * side * side / (np.pi * radius**2))):
        tone = int(rng.integers(30, 230))
        cv2.circle(img, tuple(int(v) for v in rng.integers(0, side, 2)), radius, (tone, tone, tone), -1, cv2.LINE_AA)
    return img


def test_coarser_grains_grade_coarser() -> None:
    fine, coarse = grade(packed(4, 1)), grade(packed(12, 2))
    assert 2.0 < coarse.d50_px / fine.d50_px < 4.5  # three times the radius
    assert fine.d10_px < fine.d50_px < fine.d90_px


def test_millimetres_follow_the_camera_scale() -> None:
    image = packed(8, 3)
    g = grade(image, mm_per_px=0.25)
    assert g.d50_mm == pytest.approx(g.d50_px * 0.25, rel=1e-2)
    assert grade(image).d50_mm is None and grade(image).share_above(5.0) is None
    assert g.share_above(g.d10_mm * 0.5) == pytest.approx(0.9)
    assert g.share_above(g.d50_mm) == pytest.approx(0.5)
    assert g.share_above(g.d90_mm * 2) == pytest.approx(0.1)


def test_factors_scale_the_raw_percentiles() -> None:
    image = packed(6, 4)
    raw = percentiles(image)
    assert grade(image).d50_px == pytest.approx(raw[1] * FACTORS[1], abs=0.01)


def test_a_tiny_image_is_refused() -> None:
    with pytest.raises(ValueError):
        grade(np.zeros((16, 16, 3), np.uint8))
