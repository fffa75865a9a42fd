"""The sample tray seen from above: floor around it, rim, plain bottom, and the region material may fill."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vision.synth.noise import F32, grid, smooth_noise
from vision.synth.scene import Scene


@dataclass(frozen=True)
class Tray:
    image: np.ndarray  # (H, W, 3) float32 BGR: floor + rim + bottom, no material
    depth: np.ndarray  # (H, W) float32: pixels inside the inner wall (< 0 on rim/floor)


def render_tray(scene: Scene, rng: np.random.Generator) -> Tray:
    size = scene.size
    u, v, half = _tray_coords(scene, rng)
    # Box signed distance (approximate): > 0 outside the tray outline.
    du = np.abs(u) - half[0]
    dv = np.abs(v) - half[1]
    dist = np.maximum(du, dv)
    rim = F32(max(3.0, rng.uniform(0.025, 0.05) * size * scene.zoom))

    floor_colour = rng.uniform(35, 90) * rng.uniform(0.9, 1.1, 3).astype(F32)
    floor = 1.0 + 0.08 * smooth_noise(rng, size, 6)
    # Soft (anti-aliased) region masks. Everything is blended as single-channel shades and
    # coloured at the end: two (H, W, 1) x (3,) products instead of many 3-channel ops.
    on_floor = np.clip(dist + 0.5, 0, 1)
    in_bottom = np.clip(-dist - rim + 0.5, 0, 1)
    tray = _wall_shade(scene, u, v, du, dv) * (1 - on_floor - in_bottom) + _bottom(scene, rng) * in_bottom
    img = tray[..., None] * scene.tray_colour + (floor * on_floor)[..., None] * floor_colour
    return Tray(image=img.astype(F32, copy=False), depth=(-dist - rim).astype(F32, copy=False))


def _tray_coords(scene: Scene, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """Pixel coordinates in the (slightly rotated, off-centre) tray frame, and the half extents."""
    xs, ys = grid(scene.size)
    size = scene.size
    cx = size / 2 + rng.uniform(-0.06, 0.06) * size
    cy = size / 2 + rng.uniform(-0.06, 0.06) * size
    theta = np.deg2rad(rng.uniform(-12, 12))
    c, s = F32(np.cos(theta)), F32(np.sin(theta))
    dx, dy = xs - F32(cx), ys - F32(cy)
    u = dx * c + dy * s
    v = -dx * s + dy * c
    a = size * scene.zoom * rng.uniform(0.44, 0.52)
    b = a * rng.uniform(0.8, 1.0)
    return u, v, (a, b)


def _wall_shade(scene: Scene, u: np.ndarray, v: np.ndarray, du: np.ndarray, dv: np.ndarray) -> np.ndarray:
    # Inner wall facing the light is bright, the opposite wall is in shade.
    facing = np.where(du > dv, np.sign(u) * F32(-scene.light[0]), np.sign(v) * F32(-scene.light[1]))
    return 1.0 + F32(0.35) * facing


def _bottom(scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """Shade (around 1) of the plain tray bottom: faint stains and a few scratches."""
    size = scene.size
    shade = 1.0 + F32(rng.uniform(0.01, 0.05)) * smooth_noise(rng, size, int(rng.integers(3, 8)))
    for _ in range(int(rng.integers(0, 6))):
        p0 = rng.uniform(0, size, 2).astype(int)
        p1 = (p0 + rng.uniform(-0.3, 0.3, 2) * size).astype(int)
        tone = float(rng.choice([0.85, 1.12]))
        cv2.line(shade, (int(p0[0]), int(p0[1])), (int(p1[0]), int(p1[1])), tone, 1, cv2.LINE_AA)
    return shade


def scatter_grains(img: np.ndarray, scene: Scene, rng: np.random.Generator, n: int) -> None:
    """A few stray grains or pebbles left on an otherwise empty tray (drawn in place)."""
    for _ in range(n):
        centre = tuple(int(c) for c in rng.uniform(0, scene.size, 2))
        radius = max(1, int(rng.uniform(0.5, 3.0) * scene.px))
        colour = tuple(float(c) for c in rng.uniform(40, 200) * rng.uniform(0.8, 1.2, 3))
        cv2.circle(img, centre, radius, colour, -1, cv2.LINE_AA)
