from __future__ import annotations

import pytest

from vision.aggregate import aggregate
from vision.classifier import Prediction


def _p(probs: dict[str, float], threshold: float = 0.6) -> Prediction:
    label = max(probs, key=probs.__getitem__)
    return Prediction(label=label, confidence=probs[label], probs=probs, uncertain=probs[label] < threshold)


def test_agreeing_frames() -> None:
    result = aggregate([_p({"a": 0.9, "b": 0.1}), _p({"a": 0.7, "b": 0.3})])
    assert result.label == "a"
    assert result.agree and not result.uncertain
    assert result.n == 2
    assert result.confidence == pytest.approx(0.8)
    assert result.probs == pytest.approx({"a": 0.8, "b": 0.2})


def test_disagreeing_frames_are_uncertain() -> None:
    result = aggregate([_p({"a": 0.9, "b": 0.1}), _p({"a": 0.2, "b": 0.8})])
    assert not result.agree
    assert result.uncertain
    assert result.label == "a"  # mean 0.55 vs 0.45


def test_one_uncertain_frame_makes_the_sample_uncertain() -> None:
    result = aggregate([_p({"a": 0.95, "b": 0.05}), _p({"a": 0.55, "b": 0.45})])
    assert result.agree and result.uncertain


def test_no_frames_is_an_error() -> None:
    with pytest.raises(ValueError):
        aggregate([])


def test_mixed_label_sets_are_an_error() -> None:
    with pytest.raises(ValueError):
        aggregate([_p({"a": 1.0, "b": 0.0}), _p({"a": 1.0, "c": 0.0})])
