"""Gate-level evaluation: what the material rules would decide from the classifier's output.

Numpy only (no torch, no intake): used by training (the card's held-out figures), by
`intake vision evaluate`, by scripts/bench_vision.py and scripts/calibrate_gate.py.
`screen_frames` mirrors the order of checks in `intake.rules.judge`; a test pins the two
together.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vision.aggregate import aggregate
from vision.classifier import Prediction
from vision.model_card import GateCalibration, GateMetrics

Verdict = str  # "pass" | "reject" | "review"


@dataclass(frozen=True)
class RuleSpec:
    """One material's rule, reduced to what a verdict depends on."""

    accept: frozenset[str]
    reject: frozenset[str]
    min_confidence: float = 0.6


# The materials of intake/demo/demo.toml (the CLI reads the real config instead).
DEMO_RULES: dict[str, RuleSpec] = {
    "sand": RuleSpec(frozenset({"clean_sand"}), frozenset({"clean_gravel", "muddy", "foreign"})),
    "gravel": RuleSpec(frozenset({"clean_gravel"}), frozenset({"clean_sand", "muddy", "foreign"})),
}


def screen(preds: Sequence[Prediction], rule: RuleSpec, abstain_below: float,
           gate: GateCalibration | None = None) -> Verdict:
    """The verdict for one image whose whole frame (then its tiles) gave `preds`: a load
    photographed once (one view)."""
    return screen_frames([preds], rule, abstain_below, gate, views=1)


def screen_frames(frames: Sequence[Sequence[Prediction]], rule: RuleSpec, abstain_below: float,
                  gate: GateCalibration | None = None, views: int = 1) -> Verdict:
    """The verdict for one load, by the gate's rules (intake.rules.judge, checks in its order):
    `frames[i]` is frame i's whole-frame prediction, then its tiles'; a frame that failed the
    quality gate is an empty list; `views` counts the distinct ones (vision.quality)."""
    classified = [f for f in frames if f]
    flat = [p for f in classified for p in f]
    if not flat or any(p.ood for p in flat):
        return "review"
    threshold = max(rule.min_confidence, abstain_below)
    agg = aggregate(flat)
    bad_tile = unsure_tile = False
    for frame in classified:
        whole_sure = frame[0].confidence >= threshold
        if frame[0].label in rule.reject and whole_sure:
            return "reject"
        for tile in frame[1:]:
            if tile.label in rule.reject and tile.confidence >= threshold:
                bad_tile |= whole_sure
                unsure_tile |= not whole_sure
    if bad_tile:
        return "reject"  # a tile alone condemns only when its whole frame is confident
    doubt = gate.tile_doubt if gate else 0.0
    values = [agg.confidence, *(p.confidence for p in flat)]
    dissent = (not all(np.isfinite(values)) or any(f[0].label != agg.label for f in classified)
               or any(t.label != agg.label and t.confidence >= doubt for f in classified for t in f[1:]))
    uneasy = unsure_tile or dissent
    if agg.label in rule.reject:
        return "reject" if not uneasy and agg.confidence >= threshold else "review"
    needed = gate.pass_threshold(agg.label, views, abstain_below) if gate else abstain_below
    if uneasy or not agg.confidence >= max(rule.min_confidence, needed):
        return "review"
    return "pass" if agg.label in rule.accept else "review"


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
    rules: dict[str, RuleSpec], abstain_below: float, gate: GateCalibration | None = None,
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
    preds: Sequence[Sequence[Prediction]], rules: dict[str, RuleSpec], abstain_below: float,
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
    rules: dict[str, RuleSpec] | None = None, gate: GateCalibration | None = None,
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
