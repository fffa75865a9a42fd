"""Material rules: what the classifier saw -> PASS / REJECT / REVIEW, with reasons.

Pure. The order of checks is the fail-safe order: anything the gate cannot judge is REVIEW
before any label is looked at, and only a confident, agreed, accepted label is PASS.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from intake.config import MaterialRule
from intake.lane.status import Verdict
from vision.particles import Measurements


@dataclass(frozen=True)
class Evidence:
    """What the inspection produced for one sample."""

    label: str | None            # aggregated top label; None when no usable frame was classified
    confidence: float            # aggregated, temperature-scaled
    frames_agree: bool = True
    faults: tuple[str, ...] = ()  # e.g. "camera_error", "model_unavailable", "quality:blur"
    frames: tuple[tuple[str, float], ...] = ()  # each classified frame's (label, confidence)
    tiles: tuple[tuple[int, str, float], ...] = ()  # (index into frames, label, confidence) per tile
    probs: tuple[tuple[str, float], ...] = ()   # aggregated label probabilities, for the record
    ood: bool = False                           # the model's out-of-distribution flag on any frame
    particles: Measurements | None = None       # None: no calibrated camera, nothing measured


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
    condemning, unconfirmed = contamination(rule, evidence, threshold)
    too_big, unmeasured = particle_checks(rule, evidence.particles)
    if condemning or too_big:
        return Judgement("reject", sorted(set(condemning)) + too_big)
    reasons: list[str] = list(unmeasured)
    if unconfirmed:
        reasons += ["contamination_unconfirmed", *sorted(set(unconfirmed))]
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


def contamination(rule: MaterialRule, evidence: Evidence, threshold: float) -> tuple[list[str], list[str]]:
    """(condemning, unconfirmed) reject reasons. Contamination is local: one frame that
    confidently shows a rejected label condemns the load, even when the other frames see clean
    material. A tile alone condemns only when its whole frame is itself a confident view;
    otherwise (a picture the model is unsure of: a person, a wall, a smear) a person decides."""
    condemning = [rule.reject[label] for label, conf in evidence.frames if label in rule.reject and conf >= threshold]
    unconfirmed: list[str] = []
    for index, label, conf in evidence.tiles:
        if label in rule.reject and conf >= threshold:
            whole = evidence.frames[index][1] if 0 <= index < len(evidence.frames) else 0.0
            (condemning if whole >= threshold else unconfirmed).append(rule.reject[label])
    return condemning, unconfirmed


def particle_checks(rule: MaterialRule, m: Measurements | None) -> tuple[list[str], list[str]]:
    """(reject reasons, review reasons) from the rule's particle limits. A limit the
    measurement cannot vouch for is a review reason: a missing figure never passes."""
    if rule.max_particle_mm is None and rule.max_elongated_share is None:
        return [], []
    if m is None or not m.measured:
        return [], ["particles_not_measured"]
    reject: list[str] = []
    review: set[str] = set()
    if (limit := rule.max_particle_mm) is not None:
        if m.largest_mm is not None and m.largest_mm > limit:
            reject.append("oversize_particles")
        elif m.floor_mm is None or m.floor_mm > limit:
            review.add("particles_not_measured")  # the camera cannot see grains that small
        elif m.largest_clump_mm is not None and m.largest_clump_mm > limit:
            review.add("particles_not_measured")  # an unsplit clump may hide an oversize grain
    if (share := rule.max_elongated_share) is not None:
        if m.elongated_share is None:
            review.add("particles_not_measured")
        elif m.elongated_share > share:
            reject.append("elongated_particles")
    return reject, sorted(review)
