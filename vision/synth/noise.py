"""Cheap random fields for the synthetic generator: smooth noise, grain noise, shading.

Everything is vectorised (numpy + cv2) because a training set needs thousands of images
and the brief's budget is well under 20 ms per 256 px image.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

F32 = np.float32


@lru_cache(maxsize=8)
def grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (x, y) of a square canvas; cached, so never mutate them."""
    coords = np.arange(size, dtype=F32)
    xs, ys = np.meshgrid(coords, coords)
    xs.setflags(write=False)
    ys.setflags(write=False)
    return xs, ys


def smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Zero-mean, unit-std field varying over roughly `cells` blobs across the canvas."""
    cells = max(2, int(cells))
    small = rng.standard_normal((cells, cells), dtype=F32)
    field = cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
    # Statistics from a subsample: a full-frame mean/std costs more than the field itself.
    probe = field[::4, ::4]
    field -= F32(probe.mean())
    return field / F32(max(float(probe.std()), 1e-6))


def normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard-normal float32 noise. OpenCV's generator is about 3x faster than numpy's at
    this size; seeding it from `rng` keeps every image reproducible from its seed."""
    cv2.setRNGSeed(int(rng.integers(1 << 31)))
    out = np.empty(shape, F32)
    cv2.randn(out.reshape(shape[0], -1), 0.0, 1.0)
    return out


def grain_noise(rng: np.random.Generator, size: int, scale: float) -> np.ndarray:
    """Unit-std noise whose 'grains' are about `scale` pixels wide (>= 1)."""
    if scale <= 1.2:
        return normal(rng, (size, size))
    n = max(2, int(round(size / scale)))
    small = normal(rng, (n, n))
    # Nearest keeps grains crisp-edged like real particles rather than blurry blobs.
    return cv2.resize(small, (size, size), interpolation=cv2.INTER_NEAREST)


def relief_shading(height: np.ndarray, light: tuple[float, float], strength: float) -> np.ndarray:
    """Multiplicative shading (around 1) of a height map lit from direction `light` (x, y)."""
    # Sobel with scale 1/8 is the plain per-pixel slope.
    gx = cv2.Sobel(height, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(height, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    # Light comes *from* `light`, so slopes rising towards it are lit.
    shade = 1.0 - strength * (gx * light[0] + gy * light[1])
    return np.clip(shade, 0.35, 1.6)


def blob_heights(ids: np.ndarray, dome: float) -> np.ndarray:
    """Dome-like height of every labelled blob, from its distance to the blob's outline.

    `ids` is an int32 label image (0 = background). One distance transform shades every
    stone at once, instead of drawing highlights stone by stone.
    """
    inner = np.ones(ids.shape, np.uint8)
    diff_x = ids[:, 1:] != ids[:, :-1]
    diff_y = ids[1:, :] != ids[:-1, :]
    inner[:, 1:][diff_x] = 0
    inner[1:, :][diff_y] = 0
    inner[ids == 0] = 0
    dist = cv2.distanceTransform(inner, cv2.DIST_L2, 3)
    return np.sqrt(dist, dtype=F32) * F32(dome)


def random_polygons(
    rng: np.random.Generator, centres: np.ndarray, radii: np.ndarray, n_vertices: int, jag: float
) -> np.ndarray:
    """Star-shaped polygons, one per centre, as an (n, n_vertices, 2) int32 array for cv2.

    Batched because per-polygon numpy calls dominated the cost of a gravel image.
    `jag` in [0, 1) roughens the outline.
    """
    centres = np.asarray(centres, np.float64).reshape(-1, 2)
    n = len(centres)
    angles = np.sort(rng.uniform(0.0, 2 * np.pi, (n, n_vertices)), axis=1)
    r = np.asarray(radii, np.float64).reshape(-1, 1) * rng.uniform(1.0 - jag, 1.0, (n, n_vertices))
    xs = centres[:, :1] + r * np.cos(angles)
    ys = centres[:, 1:] + r * np.sin(angles)
    return np.round(np.stack([xs, ys], axis=2)).astype(np.int32)


def random_polygon(
    rng: np.random.Generator, centre: tuple[float, float], radius: float, n: int, jag: float
) -> np.ndarray:
    """One star-shaped polygon around `centre`, (n, 2) int32."""
    return random_polygons(rng, np.array([centre]), np.array([radius]), n, jag)[0]


def unit_vector(rng: np.random.Generator) -> tuple[float, float]:
    angle = rng.uniform(0.0, 2 * np.pi)
    return float(np.cos(angle)), float(np.sin(angle))


def vary(rng: np.random.Generator, colour: np.ndarray, gain: float = 0.15, hue: float = 0.04) -> np.ndarray:
    """A natural variant of a BGR colour: mostly brighter/darker, only slightly shifted in hue
    (independent per-channel jitter would turn grey sand green or pink)."""
    common = rng.uniform(1.0 - gain, 1.0 + gain)
    return (colour * common * rng.uniform(1.0 - hue, 1.0 + hue, 3)).astype(F32)
