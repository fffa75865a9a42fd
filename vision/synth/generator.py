"""`generate(label, rng, size)`: one synthetic top-view photo of the sample tray."""
from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from vision.model_card import LABELS
from vision.synth.camera import apply_camera
from vision.synth.contaminants import add_foreign, mud
from vision.synth.material import gravel, sand
from vision.synth.noise import F32
from vision.synth.scene import Scene, make_scene
from vision.synth.variation import LEGACY, Variation
from vision.synth.tray import Tray, render_tray, scatter_grains


def generate(
    label: str, rng: np.random.Generator, size: int = 256, variation: Variation = LEGACY
) -> np.ndarray:
    """A (size, size, 3) uint8 BGR image of a tray holding a sample of class `label`, with
    scene parameters drawn from the ranges of `variation`."""
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}; expected one of {LABELS}")
    if size < 32:
        raise ValueError(f"size must be >= 32, got {size}")
    scene = make_scene(rng, size, label, variation)
    tray = render_tray(scene, rng)
    if label == "empty":
        img = tray.image.copy()
        scatter_grains(img, scene, rng, int(rng.integers(0, 25)))
    else:
        img = fill_tray(tray, _CONTENT[label](scene, rng), scene, rng)
    if label == "foreign":
        # Laid on top after filling, so the tray never hides the very thing that makes the label.
        img = add_foreign(img, scene, rng)
    return apply_camera(img, scene, rng)


def _aggregate(scene: Scene, rng: np.random.Generator) -> np.ndarray:
    return sand(scene, rng) if rng.random() < 0.5 else gravel(scene, rng)[0]


def _muddy(scene: Scene, rng: np.random.Generator) -> np.ndarray:
    return mud(_aggregate(scene, rng), scene, rng)


_CONTENT: dict[str, Callable[[Scene, np.random.Generator], np.ndarray]] = {
    "clean_sand": sand,
    "clean_gravel": lambda scene, rng: gravel(scene, rng)[0],
    "muddy": _muddy,
    "foreign": _aggregate,
}


def fill_tray(tray: Tray, material: np.ndarray, scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """Material heaped in the tray: it stops short of the walls by a ragged margin."""
    margin = rng.uniform(-0.02, 0.05) * scene.size
    ragged = cv2.resize(
        rng.standard_normal((8, 8), dtype=F32), (scene.size, scene.size), interpolation=cv2.INTER_CUBIC
    ) * F32(0.02 * scene.size)
    alpha = np.clip((tray.depth - F32(margin) - ragged) / F32(2.0), 0, 1)[..., None]
    return tray.image * (1 - alpha) + material * alpha
