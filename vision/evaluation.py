"""Gate-level evaluation: what the material rules would decide from the classifier's output.

Numpy only (no torch, no intake): used by training (the card's held-out figures), by
`intake vision evaluate`, by scripts/bench_vision.py and scripts/calibrate_gate.py.
`screen_frames` is the gate's verdict: it calls `vision.judging.judge`, the one the gate uses.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from vision.classifier import Prediction
from vision.grading_rules import ShareLimit
from vision.judging import Rule, Verdict, evidence_of, judge
from vision.model_card import GateCalibration, GateMetrics


@dataclass(frozen=True)
class RuleSpec:
    """A material rule for tools that have no gate config (training's card figures): the
    fields of `intake.config.MaterialRule` that a verdict depends on (`vision.judging.Rule`)."""

    accept: frozenset[str]
    reject: Mapping[str, str] = field(default_factory=dict)   # label -> reason code
    min_confidence: float = 0.6
    max_particle_mm: float | None = None
    max_elongated_share: float | None = None
    min_d50_mm: float | None = None
    max_d50_mm: float | None = None
    max_share_above: ShareLimit | None = None


# The materials of intake/demo/demo.toml (the CLI passes the real config's rules instead).
DEMO_RULES: dict[str, Rule] = {
    "sand": RuleSpec(frozenset({"clean_sand"}),
                     {"clean_gravel": "wrong_material", "muddy": "muddy", "foreign": "foreign_matter"}),
    "gravel": RuleSpec(frozenset({"clean_gravel"}),
                       {"clean_sand": "wrong_material", "muddy": "muddy", "foreign": "foreign_matter"}),
}


def screen(preds: Sequence[Prediction], rule: Rule, abstain_below: float,
           gate: GateCalibration | None = None) -> Verdict:
    """The verdict for one image whose whole frame (then its tiles) gave `preds`: a load
    photographed once (one view)."""
    return screen_frames([preds], rule, abstain_below, gate, views=1)


def screen_frames(frames: Sequence[Sequence[Prediction]], rule: Rule, abstain_below: float,
                  gate: GateCalibration | None = None, views: int = 1) -> Verdict:
    """The verdict for one load, by the gate's own judge: `frames[i]` is frame i's whole-frame
    prediction, then its tiles'; a frame that failed the quality gate is an empty list; `views`
    counts the distinct ones (vision.quality)."""
    classified = [f for f in frames if f]
    if not classified:
        return "review"
    return judge(rule, evidence_of(classified, views), abstain_below, gate).verdict


def ece(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error: |accuracy - confidence| averaged over confidence bins."""
    conf, correct = probs.max(1), probs.argmax(1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - conf[inside].mean())
    return float(total)


def reliability(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean confidence, accuracy, count) per confidence bin, for the reliability diagram."""
    conf, correct = probs.max(1), probs.argmax(1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (conf > lo) & (conf <= hi)
        n = int(inside.sum())
        out.append((float(conf[inside].mean()) if n else (lo + hi) / 2, float(correct[inside].mean()) if n else 0.0, n))
    return out


@dataclass(frozen=True)
class GateCounts:
    false_pass: dict[str, int]  # by true label
    must_not_pass: int  # (image, material) pairs whose true label the material does not accept
    review: int
    decisions: int


def gate_counts(
    y: np.ndarray, preds: Sequence[Sequence[Prediction]], labels: Sequence[str],
    rules: Mapping[str, Rule], abstain_below: float, gate: GateCalibration | None = None,
) -> GateCounts:
    false_pass = {label: 0 for label in labels}
    bad = review = 0
    for truth, sample in zip(y, preds):
        label = labels[int(truth)]
        for rule in rules.values():
            verdict = screen(sample, rule, abstain_below, gate)
            review += verdict == "review"
            if label not in rule.accept:
                bad += 1
                false_pass[label] += verdict == "pass"
    return GateCounts(false_pass, bad, review, len(preds) * len(rules))


def ood_rates(
    preds: Sequence[Sequence[Prediction]], rules: Mapping[str, Rule], abstain_below: float,
    gate: GateCalibration | None = None,
) -> tuple[float, float]:
    """(share of images REVIEWed under every material, share PASSed under any material)."""
    if not preds:
        return 0.0, 0.0
    verdicts = [[screen(p, rule, abstain_below, gate) for rule in rules.values()] for p in preds]
    review = float(np.mean([all(v == "review" for v in vs) for vs in verdicts]))
    passed = float(np.mean([any(v == "pass" for v in vs) for vs in verdicts]))
    return review, passed


def gate_metrics(
    dataset: str, preds: Sequence[Sequence[Prediction]], y: np.ndarray, labels: Sequence[str],
    abstain_below: float, *, tiles: bool, ood_preds: Sequence[Sequence[Prediction]] = (),
    rules: Mapping[str, Rule] | None = None, gate: GateCalibration | None = None,
) -> GateMetrics:
    """`preds[i]` is image i's whole-frame prediction followed by its tiles' (if any).
    With `tiles=False` only the whole frame is used, as a gate without tiling would. Each
    image is a load photographed once (one view), judged with the card's `gate` calibration."""
    rules = rules or DEMO_RULES
    used = preds if tiles else [p[:1] for p in preds]
    probs = np.array([[p[0].probs[label] for label in labels] for p in preds])
    # Abstention (low confidence or OOD -> REVIEW) is reported beside, not hidden in, accuracy.
    kept = np.array([p[0].confidence >= abstain_below and not p[0].ood for p in preds])
    correct = probs.argmax(1) == y
    counts = gate_counts(y, used, labels, rules, abstain_below, gate)
    ood_review, ood_pass = ood_rates(ood_preds if tiles else [p[:1] for p in ood_preds], rules, abstain_below, gate)
    return GateMetrics(
        dataset=dataset, n=len(preds), tiles=tiles,
        accuracy=float(correct.mean()), ece=ece(probs, y), coverage=float(kept.mean()),
        selective_accuracy=float(correct[kept].mean()) if kept.any() else 0.0,
        false_pass_rate=sum(counts.false_pass.values()) / max(counts.must_not_pass, 1),
        false_pass=counts.false_pass, abstention_rate=counts.review / max(counts.decisions, 1),
        ood_review_rate=ood_review if ood_preds else None, ood_pass_rate=ood_pass if ood_preds else None,
    )
