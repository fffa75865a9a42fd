"""Named generator configurations: the ranges the random scene parameters are drawn from.

The classifier must be judged on images made differently from those it learned on, so the
held-out set is not just another seed: `SHIFTED` moves the ranges (zoom, light, noise,
compression, fewer and smaller foreign objects, thinner mud) away from `TRAIN`.
"""
from __future__ import annotations

from dataclasses import dataclass

Range = tuple[float, float]


@dataclass(frozen=True)
class Variation:
    name: str
    zoom: Range = (1.0, 1.8)  # > 1: closer; tile-like close-ups need the upper end
    empty_zoom: Range = (0.9, 1.4)
    exposure: Range = (0.75, 1.25)
    warmth: float = 0.12  # colour temperature cast, +- this much
    noise_sigma: Range = (0.5, 4.0)
    jpeg_quality: tuple[int, int] = (45, 96)
    foreign_count: tuple[int, int] = (1, 5)  # objects per foreign sample, upper bound exclusive
    foreign_scale: Range = (1.0, 1.0)  # size multiplier of every foreign object
    mud_cover: Range = (-1.0, 0.3)  # field offset: lower covers more of the sample in clay


# The original generator (the first shipped model was trained on it).
LEGACY = Variation("legacy")

# Training: broader than LEGACY, with the hard cases that let bad loads through: a single,
# small foreign object, and close-ups (zoom up to 2.6) so tiles of a frame look familiar.
TRAIN = Variation(
    "train", zoom=(1.0, 2.6), exposure=(0.7, 1.3), warmth=0.15, noise_sigma=(0.5, 5.0),
    jpeg_quality=(40, 96), foreign_count=(1, 4), foreign_scale=(0.45, 1.15), mud_cover=(-1.0, 0.6),
)

# Held out: other ranges again, never used for training or calibration.
SHIFTED = Variation(
    "shifted", zoom=(0.9, 2.2), empty_zoom=(0.85, 1.5), exposure=(0.62, 1.4), warmth=0.2,
    noise_sigma=(1.0, 6.5), jpeg_quality=(30, 90), foreign_count=(1, 3), foreign_scale=(0.4, 1.0),
    mud_cover=(-0.8, 0.7),
)

VARIATIONS: dict[str, Variation] = {v.name: v for v in (LEGACY, TRAIN, SHIFTED)}


def variation(name: str) -> Variation:
    try:
        return VARIATIONS[name]
    except KeyError:
        raise ValueError(f"unknown generator variation {name!r}; known: {', '.join(VARIATIONS)}") from None
