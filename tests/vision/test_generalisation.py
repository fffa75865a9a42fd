"""The shipped model measured as the gate judges on sets it was never tuned on."""
from __future__ import annotations

from pathlib import Path

import pytest

from vision.classifier import OnnxClassifier
from vision.generalisation import alt_photoset, good_pass, measure, ood_photoset, real_photoset


@pytest.fixture(scope="module")
def classifier(committed_model: Path) -> OnnxClassifier:
    return OnnxClassifier.load(committed_model)


def test_figures_of_alt_trays_and_non_tray_pictures(classifier: OnnxClassifier) -> None:
    alt = alt_photoset(classifier, 3, 11)
    ood = ood_photoset(classifier, 1, 12)
    result = measure("alt", alt, ood, classifier, 7)
    assert result.n == 15 and result.per_label == {label: 3 for label in classifier.labels}
    assert [f.frames for f in result.loads] == [1, 3]
    assert all(f.ood_pass == 0 for f in result.loads)  # fail safe: no non-tray picture passes
    assert all(0.0 <= v <= 1.0 for f in result.loads for v in good_pass(f).values())


def test_real_validation_series_are_read_whole(classifier: OnnxClassifier) -> None:
    real = real_photoset(classifier)
    assert len(real) == 71 and set(real.y.tolist()) == {0, 1}
