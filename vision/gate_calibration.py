"""Choosing the gate's multi-frame PASS thresholds on validation loads (scripts/calibrate_gate.py).

`abstain_confidence` was chosen per image. The gate judges a load from several frames and
their tiles; needing that from the mean of all of them, with every tile agreeing, sent most
good gravel loads to REVIEW.
Here every (load, material) pair is decided once by `screen_frames` with the PASS threshold
at its floor, keeping the verdict and the mean confidence: lowering a PASS threshold only
turns REVIEW into PASS for pairs whose mean reaches it (the other checks do not depend on
it), so each candidate threshold is then a count, not a new run. The chosen setting is
re-checked with `screen_frames` itself (`figures`).

For each accepted label and each number of distinct views v >= 2 the threshold is the lowest
on the grid at which, on loads of v views:
  - the false-pass rate of every material accepting that label stays <= `max_false_pass`,
  - no more non-tray loads pass than the per-image rule lets through,
then made non-increasing in v. One view keeps abstain_confidence, unless a cap on non-tray
passes is given (`max_ood_pass`, e.g. 0): then every view count, one view included, must keep
to it on the tuning pictures. Of the tile-doubt levels
tried, the one with the fewest good loads held at `frames` views wins (ties: the strictest).
"""
from __future__ import annotations

from collections.abc import Mapping, Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vision.aggregate import aggregate
from vision.classifier import Prediction
from vision.evaluation import screen_frames
from vision.judging import Rule
from vision.gate_data import PhotoSet, loads
from vision.model_card import GateCalibration, GateFigures


@dataclass(frozen=True)
class Pair:
    """One (load, material) verdict. Decided under `floor`, "pass" means: passes wherever the
    label's PASS threshold is at most `confidence`."""

    truth: int  # true label index; negative: a non-tray load
    material: str
    views: int
    label: str  # the load's aggregated label
    confidence: float  # its mean over every view
    verdict: str


@dataclass(frozen=True)
class Load:
    truth: int
    frames: list[list[Prediction]]
    views: int


def make_loads(ps: PhotoSet, frames: int, repeats: int, seed: int, abstain: float, same: float) -> list[Load]:
    """Loads of `frames` photos of one true label (or one non-tray kind), each photo used once
    per repeat; `repeats` reshuffles give more loads from the same photos."""
    cache: dict[int, list[Prediction]] = {}

    def frame(i: int) -> list[Prediction]:
        if i not in cache:
            cache[i] = ps.frame(i, abstain)
        return cache[i]

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(repeats if frames > 1 else 1):
        for group in loads(ps.y, frames, rng):
            out.append(Load(int(ps.y[group[0]]), [frame(i) for i in group], ps.views(group, same)))
    return out


def decide(
    batch: Sequence[Load], rules: Mapping[str, Rule], abstain: float, gate: GateCalibration | None,
    advance: Callable[[], None] | None = None,
) -> list[Pair]:
    """Every (load, material) verdict by `screen_frames` under `gate` (None: the per-image rule)."""
    pairs = []
    for load in batch:
        flat = [p for f in load.frames for p in f]
        agg = aggregate(flat) if flat else None
        for name, rule in rules.items():
            verdict = screen_frames(load.frames, rule, abstain, gate, load.views)
            pairs.append(Pair(load.truth, name, load.views, agg.label if agg else "", agg.confidence if agg else 0.0,
                              verdict))
        if advance is not None:
            advance()
    return pairs


def floor(rules: Mapping[str, Rule], tile_doubt: float, same_view: float) -> GateCalibration:
    """Every PASS threshold at 0 (each rule's min_confidence still applies): see `Table.passes`."""
    accepted = sorted({label for rule in rules.values() for label in rule.accept})
    return GateCalibration(pass_confidence={label: [0.0] for label in accepted}, tile_doubt=tile_doubt,
                           same_view=same_view)


class Table:
    """Pairs as arrays, for counting many candidate thresholds quickly."""

    def __init__(self, pairs: Sequence[Pair], labels: Sequence[str], rules: Mapping[str, Rule]) -> None:
        self.truth = np.array([p.truth for p in pairs], int)
        self.material = np.array([p.material for p in pairs], object)
        self.views = np.array([p.views for p in pairs], int)
        self.label = np.array([p.label for p in pairs], object)
        self.confidence = np.array([p.confidence for p in pairs], float)
        self.verdict = np.array([p.verdict for p in pairs], object)
        self.ood = self.truth < 0
        names = [labels[t] if t >= 0 else "" for t in self.truth]
        self.good = np.array([not o and n in rules[m].accept for o, n, m in zip(self.ood, names, self.material)], bool)
        self.bad = ~self.ood & ~self.good

    def passes(self, threshold: float | np.ndarray) -> np.ndarray:
        return (self.verdict == "pass") & (self.confidence >= threshold)

    def thresholds(self, steps: dict[str, list[float]], abstain: float) -> np.ndarray:
        """Each pair's PASS threshold under `steps` (per label, per view count)."""
        out = np.full(len(self.truth), abstain)
        for label, values in steps.items():
            for i, t in enumerate(values):
                out[(self.label == label) & (np.minimum(self.views, len(values)) == i + 1)] = t
        return out


def choose_thresholds(
    table: Table, baseline: Table, rules: Mapping[str, Rule], abstain: float, max_views: int,
    max_false_pass: float, grid: Sequence[float], max_ood_pass: int | None = None,
) -> dict[str, list[float]]:
    """Per accepted label, thresholds for 1..max_views views (see the module docstring).

    With `max_ood_pass` set, no view count may pass more than that many non-tray loads, one
    view included: its threshold then rises above abstain_confidence where it must (a model
    taught on real photos can be sure of a blank wall), up to 1.0."""
    out: dict[str, list[float]] = {}
    above = [round(t, 3) for t in np.arange(abstain, 0.9995, 0.001)] + [1.0]
    for label in sorted({lab for rule in rules.values() for lab in rule.accept}):
        names = [n for n, r in rules.items() if label in r.accept]
        lowest = []
        for v in range(1, max_views + 1):
            if v == 1 and max_ood_pass is None:
                lowest.append(abstain)
                continue
            if max_ood_pass is None:  # below abstain_confidence only; none allowed: abstain_confidence
                candidates, fallback = list(grid), abstain
            else:
                candidates, fallback = sorted(set(above) | (set(grid) if v > 1 else set())), 1.0
            ok = [t for t in candidates
                  if all(_allowed(table, baseline, name, label, v, t, max_false_pass, max_ood_pass) for name in names)]
            lowest.append(min(ok) if ok else fallback)
        # Non-increasing in v, and never below what any larger view count needed.
        out[label] = [round(float(max(lowest[i:])), 4) for i in range(len(lowest))]
    return out


def _allowed(table: Table, baseline: Table, name: str, label: str, views: int, t: float, max_fp: float,
             max_ood: int | None = None) -> bool:
    at = (table.material == name) & (table.views == views) & (table.label == label)
    bad = (table.material == name) & (table.views == views) & table.bad
    passed = table.passes(t)
    if bad.any() and (passed & at & table.bad).sum() / bad.sum() > max_fp:
        return False
    if max_ood is not None:
        return int((passed & at & table.ood).sum()) <= max_ood
    old = (baseline.material == name) & (baseline.views == views) & (baseline.label == label) & baseline.ood
    return int((passed & at & table.ood).sum()) <= int((baseline.verdict[old] == "pass").sum())


def good_review(table: Table, rules: Mapping[str, Rule], steps: dict[str, list[float]], abstain: float,
                views: int) -> dict[str, float]:
    """Share of good loads of `views` views held for REVIEW, per material."""
    held = ~table.passes(table.thresholds(steps, abstain)) & (table.verdict != "reject")
    out = {}
    for name in rules:
        at = (table.material == name) & (table.views == views) & table.good
        out[name] = float(held[at].mean()) if at.any() else 0.0
    return out


def false_pass(table: Table, steps: dict[str, list[float]], abstain: float, views: int) -> tuple[int, int]:
    """(false passes, pairs that must not pass) on loads of `views` views."""
    at = (table.views == views) & table.bad
    return int((table.passes(table.thresholds(steps, abstain)) & at).sum()), int(at.sum())


def figures(
    batch: Sequence[Load], rules: Mapping[str, Rule], labels: Sequence[str], abstain: float,
    gate: GateCalibration | None, frames: int,
) -> GateFigures:
    """Figures of `screen_frames` itself (no shortcut) on loads of `frames` photos."""
    bad = fp = ood_n = ood_review = ood_pass = 0
    good: dict[str, list[str]] = {name: [] for name in rules}
    for load in batch:
        verdicts = {name: screen_frames(load.frames, rule, abstain, gate, load.views) for name, rule in rules.items()}
        if load.truth < 0:
            ood_n += 1
            ood_review += all(v == "review" for v in verdicts.values())
            ood_pass += any(v == "pass" for v in verdicts.values())
            continue
        for name, rule in rules.items():
            if labels[load.truth] in rule.accept:
                good[name].append(verdicts[name])
            else:
                bad += 1
                fp += verdicts[name] == "pass"
    per_label = sum(load.truth >= 0 for load in batch) // max(1, len({load.truth for load in batch if load.truth >= 0}))
    return GateFigures(
        frames=frames, loads=per_label, false_pass_rate=fp / max(bad, 1),
        good_review={n: _share(v, "review") for n, v in good.items()},
        good_reject={n: _share(v, "reject") for n, v in good.items()},
        ood_pass=ood_pass, ood_review_rate=ood_review / max(ood_n, 1),
    )


def _share(verdicts: list[str], which: str) -> float:
    return sum(v == which for v in verdicts) / max(len(verdicts), 1)
