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
    """A random crop of 40-100 % of the photo's short side, turned and mirrored at random,
    resized to (size, size): float32 BGR. Its aspect ratio varies (3:4 to 4:3, squashed to the
    square) because the gate squashes a whole non-square frame to the network's square input,
    while its tiles are square: training must see both views of the same material."""
    h, w = photo.shape[:2]
    side = min(h, w) * rng.uniform(0.4, 1.0)
    aspect = float(np.exp(rng.uniform(np.log(0.75), np.log(4 / 3))))
    ch, cw = min(h, max(2, int(side * np.sqrt(aspect)))), min(w, max(2, int(side / np.sqrt(aspect))))
    y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    crop = np.rot90(photo[y : y + ch, x : x + cw], int(rng.integers(4)))
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    small = cv2.resize(np.ascontiguousarray(crop), (size, size), interpolation=cv2.INTER_AREA)
    return small.astype(F32)


def photo_jitter(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What differs between the photographers' cameras and the gate's: white balance (per-channel
    gain), saturation, a gamma curve and, sometimes, more defocus than the generator's camera adds.
    Float32 BGR in, float32 BGR out; the camera model (noise, JPEG) comes after."""
    img = img * rng.uniform(0.85, 1.15, 3).astype(F32)
    grey = img.mean(axis=2, keepdims=True)
    img = grey + (img - grey) * F32(rng.uniform(0.6, 1.3))
    img = F32(255.0) * (np.clip(img, 0, 255) / F32(255.0)) ** F32(rng.uniform(0.8, 1.25))
    if rng.random() < 0.25:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.6, 1.6) * img.shape[0] / 256.0)
    return img.astype(F32)


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
    img = photo_jitter(real_crop(photos[int(rng.integers(len(photos)))], rng, size), rng)
    if label == "muddy":
        img = mud(img, scene, rng)
    if rng.random() >= PACKED_SHARE:
        img = fill_tray(render_tray(scene, rng), img, scene, rng)
    if label == "foreign":
        img = add_foreign(img, scene, rng)
    return apply_camera(img, scene, rng)
