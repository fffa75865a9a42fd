"""Where the probe goes. Pure.

Points are in metres from the bed's front-left corner (x along the length, y across), rounded to
the millimetre the sampler takes. Each point is drawn uniformly from the bed shrunk by the margin
and kept if it is at least `min_separation_m` from every point already placed and outside every
obstacle grown by the margin (the probe keeps the same clearance from a cross-bar as from a wall).
A point that cannot be placed after a share of the budget restarts the whole plan, since an
unlucky first point can crowd out the rest; the total number of candidates is bounded by
`max_attempts` and running out is a PlanError, never a plan that breaks a rule.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

Point = tuple[float, float]


class PlanError(ValueError):
    """No plan obeys the rules (bed too small, points too many or too far apart, obstacles)."""


@dataclass(frozen=True)
class Bed:
    length_m: float
    width_m: float


class Rect(BaseModel):
    """An obstacle in bed coordinates."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    x_m: float
    y_m: float
    length_m: float = Field(gt=0)
    width_m: float = Field(gt=0)

    def blocks(self, x: float, y: float, clearance: float) -> bool:
        return (_r(self.x_m - clearance) <= x <= _r(self.x_m + self.length_m + clearance)
                and _r(self.y_m - clearance) <= y <= _r(self.y_m + self.width_m + clearance))


def _r(edge: float) -> float:
    """An edge without float noise (4.8 + 0.1 + 0.3 is 5.2, not 5.1999...): points are whole mm."""
    return round(edge, 6)


class PointSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    n: int = Field(ge=1, le=8)                       # the sampler PLC takes 1..8 points
    margin_m: float = Field(ge=0)
    min_separation_m: float = Field(0.0, ge=0)
    obstacles: tuple[Rect, ...] = ()
    max_attempts: int = Field(5000, ge=1)


def point_ok(x: float, y: float, bed: Bed, spec: PointSpec, placed: list[Point] | tuple[Point, ...]) -> bool:
    """Every rule a probe point obeys; the planner and the tests use this same predicate."""
    m = spec.margin_m
    if not (_r(m) <= x <= _r(bed.length_m - m) and _r(m) <= y <= _r(bed.width_m - m)):
        return False
    if any(o.blocks(x, y, m) for o in spec.obstacles):
        return False
    return all(math.dist((x, y), p) >= spec.min_separation_m for p in placed)


def place_points(stream: Iterator[float], bed: Bed, spec: PointSpec) -> tuple[Point, ...]:
    """`spec.n` points from the keyed stream of uniforms (see `intake.sampling.keyed.uniforms`)."""
    usable_l, usable_w = bed.length_m - 2 * spec.margin_m, bed.width_m - 2 * spec.margin_m
    if usable_l < 0 or usable_w < 0:
        raise PlanError(f"bed {bed.length_m} x {bed.width_m} m leaves no room inside a {spec.margin_m} m margin")
    per_point = max(50, spec.max_attempts // 10)
    placed: list[Point] = []
    misses = 0
    for _ in range(spec.max_attempts):
        x = round(spec.margin_m + next(stream) * usable_l, 3)
        y = round(spec.margin_m + next(stream) * usable_w, 3)
        if point_ok(x, y, bed, spec, placed):
            placed.append((x, y))
            misses = 0
            if len(placed) == spec.n:
                return tuple(placed)
            continue
        misses += 1
        if misses >= per_point:              # crowded out: start the plan again
            placed, misses = [], 0
    raise PlanError(
        f"could not place {spec.n} points {spec.min_separation_m} m apart in a {bed.length_m} x "
        f"{bed.width_m} m bed (margin {spec.margin_m} m, {len(spec.obstacles)} obstacle(s)) "
        f"within {spec.max_attempts} attempts")
