"""The inspection judges a load with the card's multi-frame calibration, and only distinct
views earn it: re-shots of one tray are judged as one image. Real camera (image files read by
OpenCV), real ONNX model, real SQLite."""
from __future__ import annotations

import cv2
import numpy as np

from vision.classifier import OnnxClassifier
from vision.synth import generate

# Clean gravel photos the shipped model calls clean gravel in every view, each with a mean
# confidence below its abstain_confidence (0.98): one alone is REVIEW, three distinct PASS.
GRAVEL_SEEDS = (3, 7, 13)


def _photo(i: int) -> np.ndarray:
    return generate("clean_gravel", np.random.default_rng([5150, i]))


def _reshot(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same tray again: a pixel of shake, a little exposure change, sensor noise."""
    shift = np.float32([[1, 0, rng.uniform(-1.5, 1.5)], [0, 1, rng.uniform(-1.5, 1.5)]])
    moved = cv2.warpAffine(image, shift, image.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
    return np.clip(moved * rng.uniform(0.97, 1.03) + rng.normal(0, 2, moved.shape), 0, 255).astype(np.uint8)


def test_the_photos_are_what_the_test_needs(classifier: OnnxClassifier) -> None:
    assert classifier.card.gate is not None
    for i in GRAVEL_SEEDS:
        views = classifier.classify_tiles(_photo(i))
        assert all(p.label == "clean_gravel" and not p.ood for p in views), i
        assert np.mean([p.probs["clean_gravel"] for p in views]) < classifier.card.abstain_confidence, i


def _judge(inspect_frames, frames: list[np.ndarray]):
    judgement, _ = inspect_frames(frames, material="gravel", abstain_below=None, mm_per_px=None)
    return judgement


def test_three_distinct_views_of_good_gravel_pass(inspect_frames) -> None:
    judgement = _judge(inspect_frames, [_photo(i) for i in GRAVEL_SEEDS])
    assert (judgement.verdict, judgement.reasons) == ("pass", [])


def test_reshots_of_one_tray_are_judged_as_one_image(inspect_frames) -> None:
    rng = np.random.default_rng(1)
    first = _photo(GRAVEL_SEEDS[1])
    judgement = _judge(inspect_frames, [first, _reshot(first, rng), _reshot(first, rng)])
    assert (judgement.verdict, judgement.reasons) == ("review", ["low_confidence"])
