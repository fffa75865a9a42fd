"""The first slice's plan, keyed by the config secret. Kept so intake.inspection keeps working
until it moves to `intake.sampling.service.Sampling` (daily committed seeds, lots, modes).

Selection is keyed randomness: HMAC(secret, visit id) gives a number in [0, 1) that no driver
can predict without the secret, and anyone given the secret afterwards can recompute.
The same keyed stream places the points, so a plan is reproducible from (secret, visit).
"""
from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass

from intake.sampling.points import Bed, PlanError


@dataclass(frozen=True)
class Plan:
    sampled: bool
    draw: float                          # the keyed number compared with the rate
    points_m: tuple[tuple[float, float], ...] = ()


def keyed_draw(secret: str, visit_id: str) -> float:
    digest = hmac.new(secret.encode(), visit_id.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def sample_points(secret: str, visit_id: str, bed: Bed, n: int, margin_m: float) -> tuple[tuple[float, float], ...]:
    """N points uniformly random inside the bed, kept `margin_m` from every wall (mm-rounded)."""
    usable_l = bed.length_m - 2 * margin_m
    usable_w = bed.width_m - 2 * margin_m
    if n < 1:
        raise PlanError("at least one sample point is needed")
    if usable_l <= 0 or usable_w <= 0:
        raise PlanError(f"bed {bed.length_m} x {bed.width_m} m leaves no room inside a {margin_m} m margin")
    seed = hmac.new(secret.encode(), f"points:{visit_id}".encode(), hashlib.sha256).digest()
    rng = random.Random(seed)
    return tuple(
        (round(margin_m + rng.random() * usable_l, 3), round(margin_m + rng.random() * usable_w, 3))
        for _ in range(n)
    )


def make_plan(secret: str, visit_id: str, rate: float, bed: Bed, n: int, margin_m: float) -> Plan:
    draw = keyed_draw(secret, visit_id)
    if draw >= rate:
        return Plan(sampled=False, draw=draw)
    return Plan(sampled=True, draw=draw, points_m=sample_points(secret, visit_id, bed, n, margin_m))
