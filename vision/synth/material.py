"""Clean aggregate textures: sand (fine grains) and gravel (rounded or crushed stones)."""
from __future__ import annotations

import cv2
import numpy as np

from vision.synth.noise import (
    F32,
    blob_heights,
    grain_noise,
    normal,
    random_polygons,
    relief_shading,
    smooth_noise,
    vary,
)
from vision.synth.scene import Scene

# BGR. Yellow river sand, grey crushed sand, brown, pale quartz, reddish, dark basalt sand.
SAND_COLOURS = np.array(
    [[105, 170, 205], [140, 148, 155], [85, 120, 155], [165, 190, 210], [90, 125, 175], [95, 100, 105]],
    dtype=F32,
)
# BGR. Grey limestone/granite, brown river pebble, blue-grey basalt, buff, reddish, dark.
STONE_COLOURS = np.array(
    [[150, 152, 155], [95, 120, 150], [122, 118, 112], [150, 172, 190], [100, 112, 140], [70, 75, 80]],
    dtype=F32,
)


def sand(scene: Scene, rng: np.random.Generator, colour: np.ndarray | None = None) -> np.ndarray:
    """Fine-grained sand: per-pixel grain noise, dark/bright speckles, gentle heap relief."""
    size = scene.size
    if colour is None:
        colour = vary(rng, SAND_COLOURS[rng.integers(len(SAND_COLOURS))], 0.12)
    grain = max(1.0, scene.px * rng.uniform(0.8, 1.6))
    lum = 1.0 + rng.uniform(0.06, 0.14) * grain_noise(rng, size, grain)
    lum += rng.uniform(0.03, 0.08) * grain_noise(rng, size, grain * 2.5)
    speck = rng.random((size, size), dtype=F32)
    p_dark, p_bright = rng.uniform(0.01, 0.06), rng.uniform(0.01, 0.05)
    lum *= np.where(speck < p_dark, F32(0.55), np.where(speck > 1 - p_bright, F32(1.3), F32(1.0)))
    height = smooth_noise(rng, size, int(rng.integers(3, 7))) * F32(size * 0.04)
    lum *= relief_shading(height, scene.light, rng.uniform(0.05, 0.2))
    half = max(2, size // 2)
    chroma = 1.0 + 0.05 * normal(rng, (half, half, 3))
    chroma = cv2.resize(chroma, (size, size), interpolation=cv2.INTER_NEAREST)
    return (colour * chroma * lum[..., None]).astype(F32)


def gravel(scene: Scene, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Piled stones over darker fines. Returns the image and the stone mask (bool)."""
    size = scene.size
    ids, colours = _stone_ids(scene, rng)
    fines_colour = SAND_COLOURS[rng.integers(len(SAND_COLOURS))] * F32(rng.uniform(0.4, 0.65))
    img = sand(scene, rng, colour=fines_colour)
    stones = ids > 0
    body = colours[ids]
    height = blob_heights(ids, dome=scene.px * 1.5)
    shade = relief_shading(height, scene.light, rng.uniform(0.25, 0.45))
    # Crevices between stones are dark: ambient occlusion from the outline distance.
    occlusion = np.minimum(height / F32(max(scene.px * 1.5 * 1.7, 1e-3)), 1.0) * 0.45 + 0.55
    speckle = 1.0 + rng.uniform(0.04, 0.12) * grain_noise(rng, size, max(1.0, scene.px))
    stone_img = body * (shade * occlusion * speckle)[..., None]
    inside = stones.astype(F32)[..., None]
    img = img + inside * (stone_img - img)
    return img.astype(F32), stones


def _stone_ids(scene: Scene, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw overlapping stones into an int32 label image; returns ids and per-id BGR colours."""
    size = scene.size
    mean_r = rng.uniform(7.0, 16.0) * scene.px
    n = int(np.clip(2.4 * size * size / (np.pi * mean_r**2), 6, 400))
    angular = rng.uniform(0.0, 1.0)  # share of crushed (angular) stones vs river pebbles
    palette = STONE_COLOURS[rng.choice(len(STONE_COLOURS), 3, replace=False)]
    colours = np.zeros((n + 1, 3), F32)
    pick = rng.integers(0, 3, n)
    colours[1:] = palette[pick] * rng.uniform(0.8, 1.2, (n, 1)).astype(F32) * rng.uniform(0.97, 1.03, (n, 3)).astype(F32)
    ids = np.zeros((size, size), np.int32)
    radii = mean_r * rng.uniform(0.6, 1.4, n)
    centres = rng.uniform(-0.05 * size, 1.05 * size, (n, 2))
    is_angular = rng.random(n) < angular
    polys = random_polygons(rng, centres, radii, int(rng.integers(5, 9)), jag=0.35)
    axes = np.maximum(1, np.stack([radii, radii * rng.uniform(0.55, 1.0, n)], 1)).astype(int)
    tilt = rng.uniform(0, 180, n)
    cxy = centres.astype(int)
    for k in range(n):
        if is_angular[k]:
            cv2.fillPoly(ids, [polys[k]], k + 1)
        else:
            centre, ax = (int(cxy[k, 0]), int(cxy[k, 1])), (int(axes[k, 0]), int(axes[k, 1]))
            cv2.ellipse(ids, centre, ax, float(tilt[k]), 0, 360, k + 1, -1)
    return ids, colours
