"""Pictures the classifier has no business judging: not a sample tray at all.

Used to measure out-of-distribution abstention (never to train on: the OOD threshold is set
from familiar validation images only, so these remain unseen). Each kind goes through the
same camera model as the trays, so only the content is unfamiliar.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from vision.synth.camera import apply_camera
from vision.synth.noise import F32, grid, normal, smooth_noise
from vision.synth.scene import make_scene


def _blank_wall(size: int, rng: np.random.Generator) -> np.ndarray:
    colour = rng.uniform(60, 230, 3).astype(F32)
    xs, ys = grid(size)
    gradient = 1.0 + F32(rng.uniform(-0.2, 0.2)) * (xs / size - 0.5) + F32(rng.uniform(-0.2, 0.2)) * (ys / size - 0.5)
    texture = 1.0 + F32(rng.uniform(0.0, 0.04)) * smooth_noise(rng, size, 20)
    return (gradient * texture)[..., None] * colour


def _noise(size: int, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.5:
        return rng.uniform(0, 255, (size, size, 3)).astype(F32)
    cells = int(rng.integers(4, 64))
    small = rng.uniform(0, 255, (cells, cells, 3)).astype(F32)
    return cv2.resize(small, (size, size), interpolation=cv2.INTER_NEAREST)


def _road(size: int, rng: np.random.Generator) -> np.ndarray:
    tone = rng.uniform(45, 110)
    img = np.full((size, size, 3), tone, F32) * (1.0 + 0.12 * normal(rng, (size, size, 1)))
    img *= (1.0 + 0.06 * smooth_noise(rng, size, 8))[..., None]
    paint = (230, 230, 230) if rng.random() < 0.6 else (40, 200, 230)
    x0 = rng.uniform(0.3, 0.7) * size
    for k in range(int(rng.integers(2, 5))):  # dashed lane line, in perspective
        y0, y1 = size * k / 4, size * (k + 0.5) / 4
        pts = np.array([[x0 - 2 - k, y0], [x0 + 2 + k, y0], [x0 + 4 + 2 * k, y1], [x0 - 4 - 2 * k, y1]], np.int32)
        cv2.fillPoly(img, [pts], paint)
    return img


def _truck(size: int, rng: np.random.Generator) -> np.ndarray:
    sky = np.array([rng.uniform(180, 240), rng.uniform(150, 210), rng.uniform(110, 170)], F32)
    img = np.broadcast_to(sky, (size, size, 3)).copy()
    img[int(size * 0.7):] = rng.uniform(60, 110)
    body = tuple(float(c) for c in rng.uniform(20, 230, 3))
    x0, y0 = int(size * rng.uniform(0.05, 0.2)), int(size * rng.uniform(0.25, 0.4))
    cv2.rectangle(img, (x0, y0), (int(size * 0.65), int(size * 0.72)), body, -1)
    cab = tuple(float(c) for c in rng.uniform(20, 230, 3))
    cv2.rectangle(img, (int(size * 0.66), int(size * 0.45)), (int(size * 0.9), int(size * 0.72)), cab, -1)
    cv2.rectangle(img, (int(size * 0.72), int(size * 0.49)), (int(size * 0.86), int(size * 0.58)), (200, 170, 140), -1)
    for cx in (0.22, 0.5, 0.8):
        cv2.circle(img, (int(size * cx), int(size * 0.74)), int(size * 0.07), (20, 20, 20), -1)
        cv2.circle(img, (int(size * cx), int(size * 0.74)), int(size * 0.03), (150, 150, 150), -1)
    return img


def _person(size: int, rng: np.random.Generator) -> np.ndarray:
    img = _blank_wall(size, rng)
    skin = np.array([rng.uniform(60, 170), rng.uniform(90, 190), rng.uniform(130, 230)], F32)
    shirt = tuple(float(c) for c in rng.uniform(10, 240, 3))
    cx = int(size * rng.uniform(0.35, 0.65))
    cv2.ellipse(img, (cx, int(size * 1.0)), (int(size * 0.38), int(size * 0.42)), 0, 180, 360, shirt, -1)
    cv2.ellipse(img, (cx, int(size * 0.38)), (int(size * 0.16), int(size * 0.21)), 0, 0, 360, tuple(map(float, skin)), -1)
    hair = tuple(float(c) for c in rng.uniform(10, 90) * np.ones(3))
    cv2.ellipse(img, (cx, int(size * 0.27)), (int(size * 0.17), int(size * 0.1)), 0, 180, 360, hair, -1)
    for dx in (-0.06, 0.06):
        cv2.circle(img, (cx + int(size * dx), int(size * 0.36)), max(1, size // 60), (30, 30, 30), -1)
    return img


def _colour_chart(size: int, rng: np.random.Generator) -> np.ndarray:
    img = np.full((size, size, 3), rng.uniform(20, 60), F32)
    cols, rows = 6, 4
    patches = rng.uniform(20, 240, (rows, cols, 3))
    cell = size / (cols + 1)
    for r in range(rows):
        for c in range(cols):
            x, y = int(cell * (c + 0.6)), int(size * 0.2 + cell * r * 1.1)
            cv2.rectangle(img, (x, y), (int(x + cell * 0.85), int(y + cell * 0.85)), tuple(map(float, patches[r, c])), -1)
    return img


def _foliage(size: int, rng: np.random.Generator) -> np.ndarray:
    img = np.zeros((size, size, 3), F32)
    img[:] = (30, 90, 40)
    for _ in range(int(rng.integers(150, 400))):
        centre = tuple(int(v) for v in rng.uniform(0, size, 2))
        axes = (int(rng.uniform(3, 12) * size / 256) + 1, int(rng.uniform(1, 5) * size / 256) + 1)
        colour = (float(rng.uniform(20, 80)), float(rng.uniform(90, 200)), float(rng.uniform(30, 120)))
        cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1)
    return img


OOD_KINDS: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
    "blank_wall": _blank_wall, "noise": _noise, "road": _road, "truck": _truck,
    "person": _person, "colour_chart": _colour_chart, "foliage": _foliage,
}


def generate_ood(kind: str, rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """A (size, size, 3) uint8 BGR photo of something that is not a sample tray."""
    if kind not in OOD_KINDS:
        raise ValueError(f"unknown OOD kind {kind!r}; expected one of {sorted(OOD_KINDS)}")
    scene = make_scene(rng, size, "empty")
    return apply_camera(OOD_KINDS[kind](size, rng), scene, rng)


def ood_set(n_per_kind: int, seed: int, size: int = 256) -> list[tuple[str, np.ndarray]]:
    return [
        (kind, generate_ood(kind, np.random.default_rng([seed, k, i]), size))
        for k, kind in enumerate(OOD_KINDS) for i in range(n_per_kind)
    ]


def write_ood(out_dir: Path, n_per_kind: int, seed: int, size: int = 256) -> list[Path]:
    """`out_dir/<kind>_<i>.png` for every kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (kind, image) in enumerate(ood_set(n_per_kind, seed, size)):
        path = out_dir / f"{kind}_{i % n_per_kind}.png"
        if not cv2.imwrite(str(path), image):
            raise OSError(f"could not write {path}")
        written.append(path)
    return written
