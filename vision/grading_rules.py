"""A material rule's grading limits (D50 range, share above a size) for `vision.judging`.

Appearance alone cannot tell a close-up of coarse sand from gravel, so where a rule sets a
grading limit and the camera's scale is known, the sand/gravel question is the grading's:
the classifier's size labels (`SIZE_LABELS`) count as the rule's own accepted size label, and
a D50 outside the rule's range is the wrong material. The classifier still decides what the
grading cannot see: muddy, foreign matter, not a sample (OOD). Pure.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from vision.grading import Grading

if TYPE_CHECKING:
    from vision.judging import Evidence, Rule

# The classifier's labels that name a grain size and nothing else.
SIZE_LABELS = frozenset({"clean_sand", "clean_gravel"})


class ShareLimit(Protocol):
    """At most `share` of the surface coarser than `size_mm`."""

    @property
    def size_mm(self) -> float: ...
    @property
    def share(self) -> float: ...


@dataclass(frozen=True)
class ShareAbove:
    """A `ShareLimit` for tools without a gate config (`vision.evaluation.RuleSpec`)."""

    size_mm: float
    share: float


def has_limits(rule: Rule) -> bool:
    return rule.min_d50_mm is not None or rule.max_d50_mm is not None or rule.max_share_above is not None


def size_label(rule: Rule) -> str | None:
    """The one size label the rule accepts (clean_sand for sand), or None."""
    accepted = sorted(SIZE_LABELS & set(rule.accept))
    return accepted[0] if len(accepted) == 1 else None


def by_grading(rule: Rule, evidence: Evidence) -> Evidence:
    """The evidence with every size label read as the rule's accepted one: the grading, not
    the look, says which size the material is. Unchanged without limits or a usable grading."""
    target = size_label(rule)
    if not has_limits(rule) or target is None or not measured(evidence.grading):
        return evidence

    def as_target(label: str) -> str:
        return target if label in SIZE_LABELS else label

    return replace(
        evidence,
        label=as_target(evidence.label) if evidence.label is not None else None,
        frames=tuple((as_target(label), conf) for label, conf in evidence.frames),
        tiles=tuple((i, as_target(label), conf) for i, label, conf in evidence.tiles),
        frames_agree=len({as_target(label) for label, _ in evidence.frames}) <= 1,
    )


def measured(g: Grading | None) -> bool:
    """A grading in millimetres with finite, positive, ordered percentiles."""
    if g is None or g.d10_mm is None or g.d50_mm is None or g.d90_mm is None:
        return False
    values = (g.d10_mm, g.d50_mm, g.d90_mm)
    return all(v > 0 and v < float("inf") for v in values) and values[0] <= values[1] <= values[2]


def grading_checks(rule: Rule, g: Grading | None) -> tuple[list[str], list[str]]:
    """(reject reasons, review reasons) from the rule's grading limits. No limit: nothing.
    A grading that is missing or not in mm is a review reason: it never passes a load."""
    if not has_limits(rule):
        return [], []
    if g is None or not measured(g):
        return [], ["grading_not_measured"]
    assert g.d50_mm is not None
    reject: list[str] = []
    if rule.max_d50_mm is not None and g.d50_mm > rule.max_d50_mm:
        reject += ["wrong_material", "d50_above_max"]
    if rule.min_d50_mm is not None and g.d50_mm < rule.min_d50_mm:
        reject += ["wrong_material", "d50_below_min"]
    if (limit := rule.max_share_above) is not None:
        share = g.share_above(limit.size_mm)
        if share is None:
            return reject, ["grading_not_measured"]
        if share > limit.share:
            reject.append("oversize_share")
    return reject, []
