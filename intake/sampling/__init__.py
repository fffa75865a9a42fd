"""The sampling plan: which trucks are sampled, and where the probe goes.

Pure core: `policy` (which trucks: rates, lots, normal/tightened/reduced), `points` (where),
`keyed` (daily seeds and the numbers drawn from them). I/O at the edges: `tables`, `seeds`,
`history`, `service` (what the inspection calls), `audit`, `render`.
"""
from intake.sampling.points import Bed, PlanError, PointSpec, Rect, place_points
from intake.sampling.policy import (
    Mode, PolicyParams, Selection, SupplierHistory, after_truck, mode_of, rate_for, select_truck,
)

__all__ = [
    "Bed", "Mode", "PlanError", "PointSpec", "PolicyParams", "Rect", "Selection", "SupplierHistory",
    "after_truck", "mode_of", "place_points", "rate_for", "select_truck",
]
