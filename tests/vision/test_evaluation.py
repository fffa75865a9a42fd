"""The gate-level figures: the verdict mirror, false-pass counting, ECE, plots."""
from __future__ import annotations

import numpy as np
import pytest

from vision.classifier import Prediction
from vision.evaluation import (
    DEMO_RULES, RuleSpec, ece, gate_counts, gate_metrics, ood_rates, reliability, screen, screen_frames,
)
from vision.model_card import LABELS, GateCalibration
from vision.plots import confusion_png, reliability_png


def _p(label: str, conf: float, *, ood: bool = False, threshold: float = 0.6) -> Prediction:
    rest = (1.0 - conf) / (len(LABELS) - 1)
    probs = {name: (conf if name == label else rest) for name in LABELS}
    return Prediction(label=label, confidence=conf, probs=probs, uncertain=conf < threshold or ood,
                      ood_score=50.0 if ood else 1.0, ood=ood)


SAND = DEMO_RULES["sand"]


def test_screen_basic_verdicts() -> None:
    assert screen([_p("clean_sand", 0.95), _p("clean_sand", 0.9)], SAND, 0.8) == "pass"
    assert screen([_p("clean_sand", 0.95), _p("foreign", 0.9)], SAND, 0.8) == "reject"  # one tile condemns
    assert screen([_p("clean_sand", 0.95), _p("foreign", 0.7)], SAND, 0.8) == "review"  # unsure tile disagrees
    assert screen([_p("clean_sand", 0.7)], SAND, 0.8) == "review"  # below the card's threshold
    assert screen([_p("empty", 0.99)], SAND, 0.8) == "review"  # not judgeable
    assert screen([], SAND, 0.8) == "review"


def test_an_out_of_distribution_tile_holds_even_a_confident_verdict() -> None:
    assert screen([_p("clean_sand", 0.99), _p("clean_sand", 0.99, ood=True)], SAND, 0.8) == "review"
    assert screen([_p("foreign", 0.99, ood=True)], SAND, 0.8) == "review"


def _random_frames(rng: np.random.Generator) -> list[list[Prediction]]:
    """1-5 frames of 1-5 views each (whole frame, then tiles); sometimes a failed frame ([])."""
    frames = []
    for _ in range(int(rng.integers(1, 6))):
        if rng.random() < 0.1:
            frames.append([])
            continue
        frames.append([_p(LABELS[int(rng.choice(5, p=[0.5, 0.1, 0.1, 0.1, 0.2]))], float(rng.uniform(0.3, 1.0)),
                          ood=bool(rng.random() < 0.03)) for _ in range(int(rng.integers(1, 6)))])
    return frames


def test_screen_matches_the_gate_rules() -> None:
    """The offline verdict is the gate's: the same judge on the gate's own MaterialRule and on
    a RuleSpec, with and without the card's gate calibration, on one frame and on several."""
    from intake.config import MaterialRule
    from vision.judging import evidence_of, judge

    rng = np.random.default_rng(3)
    rule = MaterialRule(name_zh="砂", accept=["clean_sand"],
                        reject={"clean_gravel": "wrong_material", "muddy": "muddy", "foreign": "foreign_matter"},
                        min_confidence=0.6)
    spec = RuleSpec(frozenset(rule.accept), dict(rule.reject), rule.min_confidence)
    gate = GateCalibration(pass_confidence={"clean_sand": [0.8, 0.7, 0.65]}, tile_doubt=0.75)
    verdicts = set()
    for _ in range(1500):
        frames = _random_frames(rng)
        views = int(rng.integers(1, 6))
        classified = [f for f in frames if f]
        for g in (None, gate):
            expected = judge(rule, evidence_of(classified, views), 0.8, g).verdict if classified else "review"
            assert screen_frames(frames, spec, 0.8, g, views) == expected, (frames, views, g)
            verdicts.add((expected, g is None))
        if len(frames) == 1 and frames[0]:
            assert screen(frames[0], spec, 0.8) == screen_frames(frames, spec, 0.8, None, 1)
    assert {v for v, _ in verdicts} == {"pass", "reject", "review"}  # the loop exercised every outcome
    assert ("pass", False) in verdicts and ("pass", True) in verdicts


def test_false_pass_counts_only_material_that_must_not_pass() -> None:
    preds = [[_p("clean_sand", 0.99)], [_p("clean_sand", 0.99)], [_p("foreign", 0.99)]]
    y = np.array([LABELS.index("clean_sand"), LABELS.index("foreign"), LABELS.index("foreign")])
    counts = gate_counts(y, preds, LABELS, DEMO_RULES, 0.8)
    # Image 0 is fine for sand, bad for gravel (rejected as wrong material): no false pass.
    # Image 1 is foreign called clean sand: PASS under sand -> one false pass.
    assert counts.false_pass["foreign"] == 1 and sum(counts.false_pass.values()) == 1
    assert counts.must_not_pass == 1 + 2 + 2
    metrics = gate_metrics("t", preds, y, LABELS, 0.8, tiles=True)
    assert metrics.false_pass_rate == pytest.approx(1 / 5)


def test_ood_rates() -> None:
    review, passed = ood_rates([[_p("clean_sand", 0.99, ood=True)], [_p("clean_sand", 0.99)]], DEMO_RULES, 0.8)
    assert review == 0.5 and passed == 0.5


def test_ece_of_perfect_and_overconfident_predictions() -> None:
    y = np.array([0, 1, 0, 1])
    sure = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    assert ece(sure, y) == pytest.approx(0.0)
    wrong_half = np.array([[0.9, 0.1], [0.9, 0.1], [0.9, 0.1], [0.9, 0.1]])  # 90 % sure, 50 % right
    assert ece(wrong_half, y) == pytest.approx(0.4)
    bins = reliability(wrong_half, y)
    assert sum(count for *_, count in bins) == 4


def test_plots_are_images() -> None:
    confusion = confusion_png([[5, 1], [0, 4]], ["a", "b"], "t")
    diagram = reliability_png([(0.55, 0.5, 3), (0.95, 0.9, 10)], 0.05)
    for image in (confusion, diagram):
        assert image.ndim == 3 and image.dtype == np.uint8 and image.std() > 10
