"""Per-image random scene parameters shared by every rendering step."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vision.synth.noise import unit_vector
from vision.synth.variation import LEGACY, Variation


@dataclass(frozen=True)
class Scene:
    """What the camera sees, decided once per image so all layers agree (e.g. on the light)."""

    size: int
    zoom: float  # > 1 means closer: bigger particles, less tray rim in view
    light: tuple[float, float]  # unit vector pointing towards the light, image x/y
    tray_colour: np.ndarray  # BGR float32 (3,)
    variation: Variation = LEGACY  # the ranges every later step draws from
    object_scale: float = 1.0  # set while drawing one foreign object smaller than usual

    @property
    def px(self) -> float:
        """Pixels per 'scene unit': feature sizes scale with both image size and zoom."""
        return self.size * self.zoom / 256.0


# Tray materials seen on samplers: galvanised/stainless steel, white, blue, green, black
# and beige plastic. Beige is deliberate: the model must not call a sand-coloured tray sand.
TRAY_COLOURS = np.array(
    [
        [150, 150, 145],
        [185, 185, 180],
        [215, 218, 220],
        [160, 110, 60],
        [80, 120, 70],
        [62, 62, 64],
        [150, 180, 195],
    ],
    dtype=np.float32,
)


def make_scene(rng: np.random.Generator, size: int, label: str, variation: Variation = LEGACY) -> Scene:
    # Empty trays are shot from slightly further so the rim is usually in view.
    zoom = rng.uniform(*variation.empty_zoom) if label == "empty" else rng.uniform(*variation.zoom)
    base = TRAY_COLOURS[rng.integers(len(TRAY_COLOURS))]
    gain = rng.uniform(0.85, 1.15) * rng.uniform(0.96, 1.04, 3)
    colour = np.clip(base * gain.astype(np.float32), 20, 245)
    return Scene(size=size, zoom=float(zoom), light=unit_vector(rng), tray_colour=colour, variation=variation)
