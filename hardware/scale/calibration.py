"""Multi-point calibration of a raw load-cell transmitter (ADC counts -> kg): pure maths.

A straight line load = gain * (counts - zero_counts) is fitted by least squares through every
point; the zero point anchors ``zero_counts`` (what the empty deck reads) and the residual of
each point, in divisions e, measures linearity. A calibration is refused when it cannot be
trusted: a saturated reading, too few counts per division, counts that do not rise with the
load, or a worst residual beyond the limit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

# A 24-bit signed ADC, the usual load-cell front end; the transmitter may report less.
ADC_MIN = -(1 << 23)
ADC_MAX = (1 << 23) - 1


@dataclass(frozen=True)
class CalPoint:
    """A known load (kg) and the mean raw counts read with it on the deck."""
    load_kg: float
    counts: float
    spread: float = 0.0          # max - min of the counts averaged: the noise seen
    saturated: bool = False      # the transmitter flagged saturation, or counts hit the ADC rails


@dataclass(frozen=True)
class Limits:
    min_counts_per_e: float = 2.0     # below this the span is too small to resolve e
    max_residual_e: float = 0.5       # worst allowed linearity residual, in e
    adc_min: int = ADC_MIN
    adc_max: int = ADC_MAX


@dataclass(frozen=True)
class Fit:
    gain_kg_per_count: float
    zero_counts: float
    residuals_kg: tuple[float, ...]
    worst_residual_e: float
    counts_per_e: float

    def to_kg(self, counts: float) -> float:
        return self.gain_kg_per_count * (counts - self.zero_counts)


@dataclass(frozen=True)
class CalibrationResult:
    points: tuple[CalPoint, ...]
    fit: Fit | None
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.fit is not None and not self.problems


def least_squares(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line y = slope * x + intercept."""
    n = len(xs)
    if n < 2:
        raise ValueError("a line needs at least two points")
    mx, my = math.fsum(xs) / n, math.fsum(ys) / n
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        raise ValueError("all points have the same x")
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys))
    slope = sxy / sxx
    return slope, my - slope * mx


def point_problems(points: list[CalPoint], limits: Limits) -> list[str]:
    """Checks on the raw points before any fit."""
    problems = []
    if len(points) < 2:
        problems.append("need at least two points (zero and span)")
    if not any(p.load_kg == 0 for p in points):
        problems.append("no zero point (load 0)")
    for p in points:
        if p.saturated or p.counts <= limits.adc_min or p.counts >= limits.adc_max:
            problems.append(f"saturated at {p.load_kg:g} kg ({p.counts:.0f} counts)")
    ordered = sorted(points, key=lambda p: p.load_kg)
    loads = [p.load_kg for p in ordered]
    if len(set(loads)) != len(loads):
        problems.append("two points have the same load")
    elif any(b.counts <= a.counts for a, b in zip(ordered, ordered[1:])):
        problems.append("non-monotonic: counts do not rise with the load "
                        "(cell wired backwards, or a load not on the deck)")
    return problems


def fit_points(points: list[CalPoint], e_kg: float, max_kg: float,
               limits: Limits = Limits()) -> CalibrationResult:
    """Fit, then judge the span and the linearity. Never raises on bad data: reports it."""
    if e_kg <= 0 or max_kg <= 0:
        raise ValueError("e and Max must be > 0")
    problems = point_problems(points, limits)
    if problems:
        return CalibrationResult(tuple(points), None, tuple(problems))
    slope, _intercept = least_squares([p.counts for p in points], [p.load_kg for p in points])
    if slope <= 0:
        return CalibrationResult(tuple(points), None, ("non-monotonic: fitted gain is not positive",))
    zero = next(p.counts for p in points if p.load_kg == 0)
    # Anchor the line at the measured zero: the empty deck must read 0 (W4), the slope keeps
    # the least-squares gain; residuals then show both linearity and span error.
    residuals = tuple(slope * (p.counts - zero) - p.load_kg for p in points)
    worst = max(abs(r) for r in residuals) / e_kg
    counts_per_e = e_kg / slope
    fit = Fit(slope, zero, residuals, worst, counts_per_e)
    if counts_per_e < limits.min_counts_per_e:
        problems.append(f"span too small: {counts_per_e:.2f} counts per e "
                        f"(need {limits.min_counts_per_e:g})")
    span_counts = (max_kg / slope) + zero
    if span_counts >= limits.adc_max:
        problems.append(f"Max {max_kg:g} kg would read {span_counts:.0f} counts, beyond the ADC range")
    if worst > limits.max_residual_e:
        problems.append(f"linearity: worst residual {worst:.3f} e exceeds {limits.max_residual_e:g} e")
    return CalibrationResult(tuple(points), fit, tuple(problems))


def settle(samples: list[int], tolerance: int) -> tuple[float, int] | None:
    """(mean, spread) of a window of raw samples if they agree within ``tolerance`` counts."""
    if not samples:
        return None
    spread = max(samples) - min(samples)
    if spread > tolerance:
        return None
    return math.fsum(samples) / len(samples), spread
