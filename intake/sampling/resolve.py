"""The sampling configuration resolved for one truck: its rate, lot size and point rules. Pure."""
from __future__ import annotations

from intake.config import SamplingConfig
from intake.sampling.points import PointSpec, Rect
from intake.sampling.policy import PolicyParams


def normal_rate(cfg: SamplingConfig, supplier: str, material: str) -> float:
    """The most specific `[[sampling.rates]]` entry wins: supplier and material, then supplier
    alone, then material alone; otherwise `sampling.rate`."""
    best: tuple[int, float] | None = None
    for o in cfg.rates:
        if o.supplier not in ("*", supplier) or o.material not in ("*", material):
            continue
        rank = 2 * (o.supplier == supplier) + (o.material == material)
        if best is None or rank > best[0]:
            best = (rank, o.rate)
    return best[1] if best else cfg.rate


def lot_size_kg(cfg: SamplingConfig, material: str) -> int:
    """`lot_tonnes`, or `lot_m3` x bulk density when the material has one and that is less."""
    tonnes = cfg.lot_tonnes
    density = cfg.materials[material].bulk_density_t_m3 if material in cfg.materials else None
    if density is not None:
        tonnes = min(tonnes, cfg.lot_m3 * density)
    return max(1, round(tonnes * 1000))


def policy_params(cfg: SamplingConfig, supplier: str, material: str) -> PolicyParams:
    return PolicyParams(rate=normal_rate(cfg, supplier, material), lot_size_kg=lot_size_kg(cfg, material),
                        rules=cfg.switching)


def point_spec(cfg: SamplingConfig, material: str, plate: str) -> PointSpec:
    per_material = cfg.materials.get(material)
    n = per_material.points if per_material is not None and per_material.points is not None else cfg.points
    obstacles = tuple(Rect(x_m=o.x_m, y_m=o.y_m, length_m=o.length_m, width_m=o.width_m)
                      for o in cfg.obstacles if not o.plates or plate in o.plates)
    return PointSpec(n=n, margin_m=cfg.margin_m, min_separation_m=cfg.min_separation_m, obstacles=obstacles,
                     max_attempts=cfg.max_attempts)
