"""What a configuration does over many trucks, without a database: one supplier and material,
trucks of a fixed load, a share of bad loads; every number keyed from one seed. Pure.

The rows have the shape of `intake.sampling.stats.RateRow`, so simulated and recorded rates read
the same way (`intake sampling simulate` / `intake sampling stats`).
"""
from __future__ import annotations

from intake.config import SamplingConfig
from intake.sampling.keyed import draw
from intake.sampling.policy import Result, SupplierHistory, after_truck, select_truck
from intake.sampling.resolve import policy_params
from intake.sampling.stats import RateRow, rows_from


def simulate(cfg: SamplingConfig, material: str, trucks: int, load_kg: int, bad_share: float,
             seed: bytes) -> tuple[list[RateRow], dict[str, int]]:
    """Rate rows per mode, and lot counts: closed lots, closed lots with a sample, forced samples."""
    params = policy_params(cfg, "sim", material)
    history = SupplierHistory(supplier="sim", material=material)
    picks: list[tuple[str, str, str, float, str]] = []
    lots = {"closed": 0, "closed_sampled": 0}
    lot_sampled = False
    for i in range(trucks):
        selection = select_truck(params, history, load_kg, draw(seed, f"truck-{i}"))
        picks.append(("sim", material, selection.mode, selection.rate, selection.reason))
        result: Result | None = None
        if selection.sampled:
            result = "reject" if draw(seed, f"quality-{i}") < bad_share else "pass"
        lot_sampled = lot_sampled or selection.sampled
        nxt = after_truck(history, params, 0 if result == "reject" else load_kg, selection.sampled, result)
        if nxt.lot_no != history.lot_no:
            lots["closed"] += 1
            lots["closed_sampled"] += lot_sampled
            lot_sampled = False
        history = nxt
    lots["lot_end"] = sum(p[4] == "lot_end" for p in picks)
    return rows_from(picks), lots
