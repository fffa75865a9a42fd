from __future__ import annotations

import cv2
import numpy as np
import pytest

from vision.quality import QualityThresholds, assess, frozen
from vision.synth import LABELS, generate


@pytest.mark.parametrize("label", LABELS)
def test_normal_frames_pass(label: str) -> None:
    for i in range(8):
        quality = assess(generate(label, np.random.default_rng([77, i])))
        assert quality.ok, quality.reasons


def test_blurred_frame_flagged() -> None:
    image = generate("clean_gravel", np.random.default_rng(3))
    quality = assess(cv2.GaussianBlur(image, (0, 0), 4))
    assert not quality.ok
    assert any("blurred" in r for r in quality.reasons)
    assert quality.sharpness < assess(image).sharpness


def test_black_frame_flagged_as_covered() -> None:
    quality = assess(np.full((480, 640, 3), 4, np.uint8))
    assert not quality.ok
    assert any("covered" in r for r in quality.reasons)
    assert quality.clipped_dark > 0.9


def test_dark_noisy_frame_flagged() -> None:
    rng = np.random.default_rng(0)
    image = np.clip(rng.normal(12, 6, (240, 320, 3)), 0, 255).astype(np.uint8)
    assert any("covered" in r for r in assess(image).reasons)


def test_overexposed_frame_flagged() -> None:
    image = generate("clean_sand", np.random.default_rng(4))
    blown = cv2.convertScaleAbs(image, alpha=3.0, beta=60)
    quality = assess(blown)
    assert any("overexposed" in r for r in quality.reasons)


def test_uniform_frame_flagged() -> None:
    quality = assess(np.full((100, 100, 3), 128, np.uint8))
    assert any("uniform" in r for r in quality.reasons)


def test_plain_bright_tray_is_not_covered() -> None:
    """An empty tray is plain but well lit: not 'covered'."""
    image = generate("empty", np.random.default_rng(5))
    assert not any("covered" in r for r in assess(image).reasons)


def test_thresholds_are_parameters() -> None:
    image = generate("clean_sand", np.random.default_rng(6))
    strict = QualityThresholds(covered_luma=250)
    assert not assess(image, strict).ok


def test_frozen() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
    assert frozen([a, b, b.copy()])
    assert not frozen([a, b, a])
    assert not frozen([a])
    near = np.clip(a.astype(int) + 1, 0, 255).astype(np.uint8)
    assert not frozen([a, near])
    assert frozen([a, near], tolerance=1.0)


def test_distinct_views_counts_reshoots_of_one_tray_once() -> None:
    from vision.quality import distinct_views, thumbnail

    rng = np.random.default_rng(5)
    trays = [generate(label, np.random.default_rng([91, i])) for i, label in enumerate(("clean_gravel",) * 3)]
    # Re-shots of the first tray: sensor noise, a pixel or two of shake, a little exposure change.
    reshoots = []
    for _ in range(3):
        shift = np.float32([[1, 0, rng.uniform(-2, 2)], [0, 1, rng.uniform(-2, 2)]])
        moved = cv2.warpAffine(trays[0], shift, trays[0].shape[1::-1], borderMode=cv2.BORDER_REFLECT)
        reshoots.append(np.clip(moved * rng.uniform(0.95, 1.05) + rng.normal(0, 3, moved.shape), 0, 255).astype(np.uint8))
    assert distinct_views([thumbnail(t) for t in trays]) == 3
    assert distinct_views([thumbnail(t) for t in [trays[0], *reshoots]]) == 1
    assert distinct_views([thumbnail(t) for t in [trays[0], *reshoots, trays[1]]]) == 2
    flat = np.full((64, 64, 3), 128, np.uint8)
    assert distinct_views([thumbnail(flat)] * 3) == 1  # featureless frames cannot be told apart
    assert distinct_views([]) == 0
