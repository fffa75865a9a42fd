"""Samples made from real photographs: real sand and gravel, packed or heaped in a tray, clean
or with the generator's clay and foreign objects laid over them.

The generator's own grains taught the model our renderer, not sand and gravel. Real texture
under the same contaminants and camera keeps the labels' meaning (clay is clay, a stick is a
stick) while the material itself is real.
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from vision.synth.camera import apply_camera
from vision.synth.contaminants import add_foreign, mud
from vision.synth.generator import fill_tray
from vision.synth.noise import F32
from vision.synth.scene import make_scene
from vision.synth.tray import render_tray
from vision.synth.variation import TRAIN, Variation

PACKED_SHARE = 0.6  # the rest is heaped in a tray, as the demo camera shows a sample


def real_crop(photo: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """A random square of 40-100 % of the photo's short side, turned and mirrored at random,
    resized to (size, size): float32 BGR."""
    h, w = photo.shape[:2]
    side = int(min(h, w) * rng.uniform(0.4, 1.0))
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    crop = np.rot90(photo[y : y + side, x : x + side], int(rng.integers(4)))
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    small = cv2.resize(np.ascontiguousarray(crop), (size, size), interpolation=cv2.INTER_AREA)
    return small.astype(F32)


def real_sample(
    label: str, photos: Sequence[np.ndarray], rng: np.random.Generator, size: int = 256,
    variation: Variation = TRAIN,
) -> np.ndarray:
    """A (size, size, 3) uint8 BGR photo of `label` (clean_sand, clean_gravel, muddy, foreign)
    whose material is a crop of one of `photos` (all of that label's material for the clean
    labels; any material for the contaminated ones)."""
    if label == "empty":
        raise ValueError("an empty tray holds no material: use vision.synth.generate")
    scene = make_scene(rng, size, label, variation)
    img = real_crop(photos[int(rng.integers(len(photos)))], rng, size)
    if label == "muddy":
        img = mud(img, scene, rng)
    if rng.random() >= PACKED_SHARE:
        img = fill_tray(render_tray(scene, rng), img, scene, rng)
    if label == "foreign":
        img = add_foreign(img, scene, rng)
    return apply_camera(img, scene, rng)
