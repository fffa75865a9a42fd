"""Judging a sample under a material rule: what the classifier saw -> PASS / REJECT / REVIEW,
with reasons. The one judge: the gate (intake.inspection) and every offline figure (training's
card, `intake vision evaluate`, the gate calibration) call it, the gate with its config's
`MaterialRule`, offline tools with the same rules or a `vision.evaluation.RuleSpec`.

Pure. The order of checks is the fail-safe order: anything the gate cannot judge is REVIEW
before any label is looked at, and only a confident, agreed, accepted label is PASS.
"""
from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from vision.aggregate import aggregate
from vision.classifier import Prediction
from vision.grading import Grading
from vision.grading_rules import ShareLimit, by_grading, grading_checks
from vision.model_card import GateCalibration
from vision.particles import Measurements


Verdict = Literal["pass", "reject", "review"]


class Rule(Protocol):
    """What a verdict depends on in a material's rule (the gate's `intake.config.MaterialRule`)."""

    @property
    def accept(self) -> Collection[str]: ...   # labels that pass
    @property
    def reject(self) -> Mapping[str, str]: ...  # label -> reason code when seen
    @property
    def min_confidence(self) -> float: ...
    @property
    def max_particle_mm(self) -> float | None: ...
    @property
    def max_elongated_share(self) -> float | None: ...
    @property
    def min_d50_mm(self) -> float | None: ...   # grading limits (vision.grading_rules)
    @property
    def max_d50_mm(self) -> float | None: ...
    @property
    def max_share_above(self) -> ShareLimit | None: ...


@dataclass(frozen=True)
class Evidence:
    """What the inspection produced for one sample."""

    label: str | None            # aggregated top label; None when no usable frame was classified
    confidence: float            # aggregated (mean over every frame and tile), temperature-scaled
    frames_agree: bool = True    # every whole frame's top label is the same
    faults: tuple[str, ...] = ()  # e.g. "camera_error", "model_unavailable", "quality:blur"
    frames: tuple[tuple[str, float], ...] = ()  # each classified frame's (label, confidence)
    tiles: tuple[tuple[int, str, float], ...] = ()  # (index into frames, label, confidence) per tile
    probs: tuple[tuple[str, float], ...] = ()   # aggregated label probabilities, for the record
    ood: bool = False                           # the model's out-of-distribution flag on any frame
    particles: Measurements | None = None       # None: no calibrated camera, nothing measured
    views: int = 1                              # distinct views among the classified frames
    grading: Grading | None = None              # the load's grading (vision.grading); None: not graded


def evidence_of(groups: Sequence[Sequence[Prediction]], views: int = 1) -> Evidence:
    """Evidence from classified frames: each group is one frame's whole-frame prediction,
    then its tiles'. `views` is how many of the frames show distinct views
    (vision.quality.distinct_views); 1, the strict case, when nobody counted."""
    flat = [p for group in groups for p in group]
    if not flat:
        return Evidence(None, 0.0, faults=("no_classification",))
    agg = aggregate(flat)
    frames = tuple((group[0].label, float(group[0].confidence)) for group in groups if group)
    tiles = tuple((i, p.label, float(p.confidence)) for i, group in enumerate(groups) for p in group[1:])
    return Evidence(agg.label, float(agg.confidence), frames_agree=len({label for label, _ in frames}) <= 1,
                    frames=frames, tiles=tiles, probs=tuple((k, float(v)) for k, v in agg.probs.items()),
                    ood=any(bool(p.ood) for p in flat), views=max(1, views))


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reasons: list[str] = field(default_factory=list)


def judge(rule: Rule | None, evidence: Evidence, abstain_below: float = 0.0,
          gate: GateCalibration | None = None) -> Judgement:
    """Decide one sample. `abstain_below` is the model card's per-image threshold: one view
    that sure of a rejected label condemns the load. `gate` is the card's multi-frame
    calibration: how sure the mean over all views must be to PASS, and how sure a dissenting
    tile must be to hold the load. Without it every load is judged as one image: the mean
    must reach `abstain_below` and any dissenting tile holds the load."""
    if rule is None:
        return Judgement("review", ["unknown_material"])
    evidence = by_grading(rule, evidence)  # with grading limits, sand or gravel is the grading's call
    if evidence.faults:
        return Judgement("review", list(evidence.faults))
    if evidence.label is None:
        return Judgement("review", ["no_classification"])
    if evidence.ood:
        return Judgement("review", ["out_of_distribution"])  # not a sample the model may judge
    threshold = max(rule.min_confidence, abstain_below)
    condemning, unconfirmed = contamination(rule, evidence, threshold)
    too_big, unmeasured = particle_checks(rule, evidence.particles)
    off_grade, ungraded = grading_checks(rule, evidence.grading)
    if condemning or too_big or off_grade:
        return Judgement("reject", list(dict.fromkeys(sorted(set(condemning)) + too_big + off_grade)))
    reasons: list[str] = list(unmeasured) + ungraded
    if unconfirmed:
        reasons += ["contamination_unconfirmed", *sorted(set(unconfirmed))]
    if not evidence.frames_agree or dissent(evidence, gate.tile_doubt if gate else 0.0):
        reasons.append("frames_disagree")
    if evidence.label in rule.reject:
        # A confident bad label is REJECT even if another check is uneasy: rejecting is safe.
        # Condemning on the aggregate needs the per-image threshold, as one view would.
        if not reasons and evidence.confidence >= threshold:
            return Judgement("reject", [rule.reject[evidence.label]])
        if not evidence.confidence >= threshold:
            reasons.append("low_confidence")
        return Judgement("review", [*reasons, rule.reject[evidence.label]])
    needed = gate.pass_threshold(evidence.label, evidence.views, abstain_below) if gate else abstain_below
    if not evidence.confidence >= max(rule.min_confidence, needed):  # NaN-safe: NaN is not sure
        reasons.append("low_confidence")
    if reasons:
        return Judgement("review", reasons)
    if evidence.label in rule.accept:
        return Judgement("pass", [])
    return Judgement("review", [f"label_not_judgeable:{evidence.label}"])


def dissent(evidence: Evidence, tile_doubt: float) -> bool:
    """A whole frame whose top label is not the sample's (at any confidence), a tile that
    disagrees with at least `tile_doubt` confidence, or any confidence that is not a number."""
    confidences = [c for _, c in evidence.frames] + [c for _, _, c in evidence.tiles]
    if not all(math.isfinite(c) for c in [evidence.confidence, *confidences]):
        return True
    if any(label != evidence.label for label, _ in evidence.frames):
        return True
    return any(label != evidence.label and conf >= tile_doubt for _, label, conf in evidence.tiles)


def contamination(rule: Rule, evidence: Evidence, threshold: float) -> tuple[list[str], list[str]]:
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


def particle_checks(rule: Rule, m: Measurements | None) -> tuple[list[str], list[str]]:
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
