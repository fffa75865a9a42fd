"""Material rules: what the classifier saw -> PASS / REJECT / REVIEW, with reasons.

Pure. The order of checks is the fail-safe order: anything the gate cannot judge is REVIEW
before any label is looked at, and only a confident, agreed, accepted label is PASS.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from intake.config import MaterialRule
from intake.lane.status import Verdict


@dataclass(frozen=True)
class Evidence:
    """What the inspection produced for one sample."""

    label: str | None            # aggregated top label; None when no usable frame was classified
    confidence: float            # aggregated, temperature-scaled
    frames_agree: bool = True
    faults: tuple[str, ...] = ()  # e.g. "camera_error", "model_unavailable", "quality:blur"
    frames: tuple[tuple[str, float], ...] = ()  # each classified frame's (label, confidence)
    probs: tuple[tuple[str, float], ...] = ()   # aggregated label probabilities, for the record
    ood: bool = False                           # the model's out-of-distribution flag on any frame


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reasons: list[str] = field(default_factory=list)


def judge(rule: MaterialRule | None, evidence: Evidence, abstain_below: float = 0.0) -> Judgement:
    """Decide one sample. `abstain_below` is the model card's own abstention threshold."""
    if rule is None:
        return Judgement("review", ["unknown_material"])
    if evidence.faults:
        return Judgement("review", list(evidence.faults))
    if evidence.label is None:
        return Judgement("review", ["no_classification"])
    if evidence.ood:
        return Judgement("review", ["out_of_distribution"])  # not a sample the model may judge
    threshold = max(rule.min_confidence, abstain_below)
    # Contamination is local: one frame that confidently shows a rejected label condemns the
    # load, even when the other frames see clean material.
    condemning = [rule.reject[label] for label, conf in evidence.frames if label in rule.reject and conf >= threshold]
    if condemning:
        return Judgement("reject", sorted(set(condemning)))
    reasons: list[str] = []
    if not evidence.frames_agree:
        reasons.append("frames_disagree")
    if evidence.confidence < threshold:
        reasons.append("low_confidence")
    if evidence.label in rule.reject:
        # A confident bad label is REJECT even if another check is uneasy: rejecting is safe.
        if not reasons:
            return Judgement("reject", [rule.reject[evidence.label]])
        return Judgement("review", [*reasons, rule.reject[evidence.label]])
    if reasons:
        return Judgement("review", reasons)
    if evidence.label in rule.accept:
        return Judgement("pass", [])
    return Judgement("review", [f"label_not_judgeable:{evidence.label}"])
