"""The sampling plan: which trucks are sampled, and where the probe goes.

Pure core: `policy` (which trucks: rates, lots, normal/tightened/reduced), `points` (where),
`keyed` (daily seeds and the numbers drawn from them). I/O at the edges: `tables`, `seeds`,
`history`, `service` (what the inspection calls), `audit`, `render`.

`legacy` is the first slice's plan keyed by the config secret, exported here until
intake.inspection moves to `intake.sampling.service.Sampling`.
"""
from intake.sampling.points import Bed, PlanError, PointSpec, Rect, place_points
from intake.sampling.legacy import Plan, keyed_draw, make_plan, sample_points
from intake.sampling.policy import (
    Mode, PolicyParams, Selection, SupplierHistory, after_truck, mode_of, rate_for, select_truck,
)

__all__ = [
    "Bed", "Mode", "Plan", "PlanError", "PointSpec", "PolicyParams", "Rect", "Selection", "SupplierHistory",
    "after_truck", "keyed_draw", "make_plan", "mode_of", "place_points", "rate_for", "sample_points",
    "select_truck",
]
