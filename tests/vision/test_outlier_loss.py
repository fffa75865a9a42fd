"""Outlier exposure: a non-tray picture's loss is its cross-entropy to the uniform distribution."""
from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from vision.train.fit import _loss  # noqa: E402


def test_outliers_are_pulled_towards_uniform_and_labels_towards_their_class() -> None:
    weights = torch.ones(5)
    flat = torch.zeros(2, 5)
    assert float(_loss(flat, torch.tensor([-1, -1]), weights)) == pytest.approx(0.5 * math.log(5))
    sure = torch.tensor([[9.0, 0, 0, 0, 0]])
    assert float(_loss(sure, torch.tensor([-1]), weights)) > float(_loss(flat[:1], torch.tensor([-1]), weights))
    assert float(_loss(sure, torch.tensor([0]), weights)) < 0.01
