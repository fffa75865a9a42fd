"""A probe-sampling plan and its register image: the client encodes it, the PLC simulator decodes it.

Both sides validate with the same rules, so the simulator refuses exactly the plans a
real PLC would (fault PLAN_INVALID) and the client refuses them before they reach the wire.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hardware.modbus.registers import MAX_POINTS, SAMPLER, regs_to_u32, u32_to_regs

_U16 = 0xFFFF


@dataclass(frozen=True)
class SamplePlan:
    """Blind sample code, bed size and probe points (mm from the bed's front-left corner)."""

    code: int
    points_mm: tuple[tuple[int, int], ...]
    bed_mm: tuple[int, int]  # (length, width)

    def __post_init__(self) -> None:
        problem = plan_problem(self.code, self.points_mm, self.bed_mm)
        if problem:
            raise ValueError(problem)

    @classmethod
    def of(cls, code: int, points_mm: Sequence[tuple[int, int]],
           bed_mm: tuple[int, int]) -> SamplePlan:
        return cls(code, tuple((int(x), int(y)) for x, y in points_mm),
                   (int(bed_mm[0]), int(bed_mm[1])))


def plan_problem(code: int, points_mm: Sequence[tuple[int, int]],
                 bed_mm: tuple[int, int]) -> str | None:
    """Why the plan cannot be sent, or None if it can."""
    if not 0 <= code <= 0xFFFF_FFFF:
        return f"sample code {code} does not fit in uint32"
    length, width = bed_mm
    if not (0 < length <= _U16 and 0 < width <= _U16):
        return f"bed {bed_mm} mm outside 1..65535"
    if not 1 <= len(points_mm) <= MAX_POINTS:
        return f"{len(points_mm)} points; the sampler takes 1..{MAX_POINTS}"
    for i, (x, y) in enumerate(points_mm):
        # Strictly inside: a probe on the bed's edge would hit the side wall.
        if not (0 < x < length and 0 < y < width):
            return f"point {i} ({x}, {y}) mm is not inside the {length}x{width} mm bed"
    return None


def header_registers(plan: SamplePlan) -> list[int]:
    """sample_code..bed_width_mm, one contiguous block."""
    return [*u32_to_regs(plan.code), len(plan.points_mm), plan.bed_mm[0], plan.bed_mm[1]]


def point_registers(plan: SamplePlan) -> list[int]:
    """points_xy_mm, unused slots zeroed so a stale point from the last truck never survives."""
    regs = [0] * SAMPLER["points_xy_mm"].count
    for i, (x, y) in enumerate(plan.points_mm):
        regs[2 * i], regs[2 * i + 1] = x, y
    return regs


def decode_plan(header: Sequence[int], points: Sequence[int]) -> SamplePlan:
    """Rebuild the plan from its registers; ValueError if a PLC would refuse it."""
    code = regs_to_u32(header[0:2])
    n = int(header[2])
    if not 1 <= n <= MAX_POINTS:
        raise ValueError(f"{n} points; the sampler takes 1..{MAX_POINTS}")
    pts = tuple((int(points[2 * i]), int(points[2 * i + 1])) for i in range(n))
    return SamplePlan(code, pts, (int(header[3]), int(header[4])))
