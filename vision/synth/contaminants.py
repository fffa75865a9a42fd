"""What makes a sample bad: clay coating (muddy) and foreign objects (wood, roots, plastic, coal)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np

from vision.synth.noise import (
    F32,
    blob_heights,
    grain_noise,
    grid,
    random_polygon,
    random_polygons,
    relief_shading,
    smooth_noise,
    vary,
)
from vision.synth.scene import Scene

# BGR clay: dark brown, ochre, grey clay, reddish laterite.
CLAY_COLOURS = np.array([[45, 70, 100], [60, 105, 140], [85, 95, 105], [50, 70, 125]], dtype=F32)
# BGR wood: pine, weathered grey, dark bark.
WOOD_COLOURS = np.array([[120, 170, 205], [120, 130, 135], [40, 65, 95]], dtype=F32)
# BGR roots: fresh dark, reddish brown, dried pale.
ROOT_COLOURS = np.array([[22, 32, 45], [40, 60, 95], [140, 185, 215]], dtype=F32)
# BGR saturated plastics: red, blue, green, yellow, white, orange, magenta, black bag.
PLASTIC_COLOURS = np.array(
    [[35, 35, 210], [200, 90, 20], [40, 170, 40], [20, 210, 235], [235, 235, 235], [20, 120, 245], [180, 40, 200], [25, 25, 25]],
    dtype=F32,
)


def mud(img: np.ndarray, scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """Coat an aggregate image with wet clay: darker, flatter, smeared, lumpy, glossy in places."""
    size = scene.size
    clay = vary(rng, CLAY_COLOURS[rng.integers(len(CLAY_COLOURS))])
    mean = np.array(cv2.mean(img)[:3], F32)  # cv2.mean: far faster than numpy on (H, W, 3)
    # Fines fill the texture: contrast drops, and water darkens everything.
    flat = (mean + (img - mean) * F32(rng.uniform(0.25, 0.6))) * F32(rng.uniform(0.6, 0.85))
    field = smooth_noise(rng, size, int(rng.integers(3, 9)))
    cover = np.clip((field - F32(rng.uniform(*scene.variation.mud_cover))) * F32(rng.uniform(1.5, 4.0)), 0, 1)
    cover *= F32(rng.uniform(0.75, 1.0))
    texture = 1.0 + 0.05 * grain_noise(rng, size, max(1.0, scene.px * 2)) + 0.08 * smooth_noise(rng, size, 12)
    clay_img = clay * texture[..., None]
    out = flat * (1 - cover[..., None]) + clay_img * cover[..., None]
    out = _lumps(out, scene, rng, clay)
    return _gloss(out, cover, scene, rng)


def _lumps(img: np.ndarray, scene: Scene, rng: np.random.Generator, clay: np.ndarray) -> np.ndarray:
    ids = np.zeros((scene.size, scene.size), np.int32)
    n = int(rng.integers(2, 12))
    centres = rng.uniform(0, scene.size, (n, 2))
    polys = random_polygons(rng, centres, rng.uniform(5, 18, n) * scene.px, int(rng.integers(6, 11)), 0.3)
    for k in range(n):
        cv2.fillPoly(ids, [polys[k]], k + 1)
    heights = blob_heights(ids, dome=scene.px * 1.2)
    shade = relief_shading(heights, scene.light, 0.35)
    tone = rng.uniform(0.75, 1.1, n + 1).astype(F32)
    lump = clay * (tone[ids] * shade)[..., None]
    inside = (ids > 0).astype(F32)[..., None]
    return img + inside * (lump - img)


def _gloss(img: np.ndarray, cover: np.ndarray, scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """Specular sheen where the clay is wet: soft bright patches, only on the coated part."""
    field = smooth_noise(rng, scene.size, int(rng.integers(6, 16)))
    sheen = np.clip(field - F32(rng.uniform(1.0, 1.8)), 0, None) * cover
    strength = F32(rng.uniform(40, 120))
    return img + (sheen * strength)[..., None]


def add_foreign(img: np.ndarray, scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """Lay 1-4 foreign objects (wood stick, root, plastic, coal) on the aggregate, with shadows."""
    makers: list[Callable[[Scene, np.random.Generator], tuple[np.ndarray, np.ndarray]]] = [
        _stick, _root, _plastic, _coal,
    ]
    out = img
    v = scene.variation
    for _ in range(int(rng.integers(*v.foreign_count))):
        # A smaller object is drawn as if the scene were further away: same shape, fewer pixels.
        scale = rng.uniform(*v.foreign_scale) if v.foreign_scale != (1.0, 1.0) else 1.0
        small = replace(scene, zoom=scene.zoom * scale, object_scale=scale)
        mask, colour = makers[int(rng.integers(len(makers)))](small, rng)
        out = _composite(out, mask, colour, small, rng)
    return out


def _composite(img: np.ndarray, mask: np.ndarray, colour: np.ndarray, scene: Scene, rng: np.random.Generator) -> np.ndarray:
    offset = scene.px * rng.uniform(1.5, 4.0)
    shift = np.float32([[1, 0, -scene.light[0] * offset], [0, 1, -scene.light[1] * offset]])
    shadow = cv2.warpAffine(mask, shift, (scene.size, scene.size))
    shadow = cv2.GaussianBlur(shadow, (0, 0), max(0.8, scene.px * 1.2))
    img = img * (1.0 - F32(rng.uniform(0.3, 0.55)) * shadow)[..., None]
    alpha = mask[..., None]
    return img * (1 - alpha) + colour * alpha


def _stick(scene: Scene, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    size = scene.size
    length = rng.uniform(0.3, 0.65) * size * scene.object_scale
    width = max(4.0, rng.uniform(6.0, 13.0) * scene.px)
    centre = rng.uniform(0.2, 0.8, 2) * size
    angle = rng.uniform(0, 180)
    box = cv2.boxPoints(((float(centre[0]), float(centre[1])), (float(length), float(width)), float(angle)))
    mask = np.zeros((size, size), F32)
    cv2.fillPoly(mask, [np.round(box).astype(np.int32)], 1.0, cv2.LINE_AA)
    # Wood grain: stripes along the stick's axis.
    xs, ys = grid(size)
    theta = np.deg2rad(angle)
    across = -xs * F32(np.sin(theta)) + ys * F32(np.cos(theta))
    grain = 1.0 + 0.12 * np.sin(across * F32(rng.uniform(0.8, 2.0)) + 2.0 * smooth_noise(rng, size, 5))
    wood = vary(rng, WOOD_COLOURS[rng.integers(len(WOOD_COLOURS))])
    return mask, wood * grain[..., None]


def _root(scene: Scene, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    size = scene.size
    mask = np.zeros((size, size), F32)
    for _ in range(int(rng.integers(1, 4))):
        steps = int(rng.integers(8, 20))
        heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.35, steps))
        step = rng.uniform(4, 9) * scene.px
        start = rng.uniform(0.3, 0.7, 2) * size
        pts = start + np.cumsum(np.stack([np.cos(heading), np.sin(heading)], 1) * step, 0)
        thick = max(3, int(rng.uniform(3.0, 6.0) * scene.px))
        cv2.polylines(mask, [np.round(pts).astype(np.int32)], False, 1.0, thick, cv2.LINE_AA)
    # Fresh roots are near black; dried ones pale tan. Both stand out from stones by shape.
    colour = ROOT_COLOURS[rng.integers(len(ROOT_COLOURS))] * F32(rng.uniform(0.8, 1.2))
    return mask, np.broadcast_to(colour, (size, size, 3))


def _plastic(scene: Scene, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    size = scene.size
    mask = np.zeros((size, size), F32)
    centre = tuple(rng.uniform(0.2, 0.8, 2) * size)
    poly = random_polygon(rng, centre, rng.uniform(16, 36) * scene.px, int(rng.integers(4, 8)), 0.5)
    cv2.fillPoly(mask, [poly], 1.0, cv2.LINE_AA)
    mask *= F32(rng.uniform(0.75, 1.0))  # thin films are a little see-through
    colour = vary(rng, PLASTIC_COLOURS[rng.integers(len(PLASTIC_COLOURS))], 0.1)
    sheen = 1.0 + 0.35 * np.clip(smooth_noise(rng, size, 10) - 0.8, 0, None)
    return mask, np.clip(colour * sheen[..., None], 0, 255)


def _coal(scene: Scene, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    size = scene.size
    ids = np.zeros((size, size), np.int32)
    for k in range(int(rng.integers(1, 4))):
        centre = tuple(rng.uniform(0.2, 0.8, 2) * size)
        poly = random_polygon(rng, centre, rng.uniform(12, 24) * scene.px, int(rng.integers(5, 8)), 0.3)
        cv2.fillPoly(ids, [poly], k + 1)
    heights = blob_heights(ids, dome=scene.px * 1.5)
    shade = relief_shading(heights, scene.light, 0.6)
    # Coal is black but glassy: strong small highlights on facets facing the light.
    lum = F32(rng.uniform(18, 35)) * shade + 90.0 * np.clip(shade - 1.25, 0, None)
    colour = lum[..., None] * np.array([1.08, 1.0, 0.95], F32)
    return (ids > 0).astype(F32), colour
