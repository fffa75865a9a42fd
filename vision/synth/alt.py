"""A second, independent way of drawing sample trays: for measuring only, never for training.

`vision.synth.generator` builds grains from noise fields and relief shading; a model can learn
that renderer instead of sand and gravel. This one shares none of its code: a round pan,
sand as stippled specks, gravel as packed shaded ellipses, clay as flat smeared blobs,
foreign matter as cardboard, rope, leaves and film. A model that only knows our renderer
fails here, as it would on a plant's camera.
"""
from __future__ import annotations

import cv2
import numpy as np

SAND_TONES = np.array([[120, 170, 200], [90, 130, 165], [150, 185, 205], [70, 95, 120], [180, 200, 215]], np.float32)
STONE_TONES = np.array([[110, 110, 115], [80, 95, 120], [150, 150, 150], [60, 70, 80], [130, 150, 175]], np.float32)
CLAY = np.array([[40, 75, 110], [70, 90, 105], [35, 55, 95]], np.float32)
THINGS = np.array([[60, 120, 170], [30, 140, 40], [200, 60, 30], [20, 20, 20], [240, 240, 240]], np.float32)
PAN_TONES = np.array([[170, 170, 170], [120, 120, 125], [90, 140, 200], [60, 60, 60]], np.float32)


def draw(label: str, rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """A (size, size, 3) uint8 BGR top view of a round pan holding a sample of `label`."""
    pan, inside = _pan(rng, size)
    if label == "empty":
        img = pan
        _specks(img, rng, int(rng.integers(0, 30)), size * 0.004)
    else:
        stuff = _sand(rng, size) if label == "clean_sand" or (label != "clean_gravel" and rng.random() < 0.5) else _gravel(rng, size)
        if label == "muddy":
            stuff = _clay(stuff, rng, size)
        if label == "foreign":
            _things(stuff, rng, size)
        img = pan * (1 - inside) + stuff * inside
    return _camera(img, rng)


def _pan(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    cx, cy = size * rng.uniform(0.42, 0.58, 2)
    r = np.hypot(xx - cx, yy - cy)
    radius = size * rng.uniform(0.5, 0.75)  # often larger than the frame: material to the edges
    tone = PAN_TONES[rng.integers(len(PAN_TONES))] * rng.uniform(0.85, 1.1)
    shade = 1.0 - 0.25 * np.clip(r / radius, 0, 1) ** 2
    pan = np.clip(shade[..., None] * tone, 0, 255)
    background = np.clip(rng.uniform(20, 80) + 10 * rng.standard_normal((size, size, 1)), 0, 255)
    pan = np.where((r < radius)[..., None], pan, background).astype(np.float32)
    inside = np.clip((radius * 0.93 - r) / 3.0, 0, 1)[..., None].astype(np.float32)
    return pan, inside


def _sand(rng: np.random.Generator, size: int) -> np.ndarray:
    base = SAND_TONES[rng.integers(len(SAND_TONES))]
    img = np.empty((size, size, 3), np.float32)
    img[:] = base
    _specks(img, rng, int(size * size * rng.uniform(0.05, 0.15)), size * rng.uniform(0.003, 0.008))
    return cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 0.9))


def _specks(img: np.ndarray, rng: np.random.Generator, n: int, radius: float) -> None:
    size = img.shape[0]
    pts = rng.integers(0, size, (n, 2))
    tones = SAND_TONES[rng.integers(len(SAND_TONES), size=n)] * rng.uniform(0.6, 1.3, (n, 1))
    for (x, y), tone in zip(pts, tones):
        cv2.circle(img, (int(x), int(y)), max(1, int(round(radius * rng.uniform(0.5, 1.5)))), tone.tolist(), -1)


def _gravel(rng: np.random.Generator, size: int) -> np.ndarray:
    img = np.empty((size, size, 3), np.float32)
    img[:] = STONE_TONES[rng.integers(len(STONE_TONES))] * 0.45  # dark gaps between stones
    scale = size * rng.uniform(0.03, 0.07)
    for _ in range(int((size / scale) ** 2 * 1.6)):
        centre = (int(rng.integers(0, size)), int(rng.integers(0, size)))
        axes = (int(scale * rng.uniform(0.6, 1.3)), int(scale * rng.uniform(0.4, 0.9)))
        tone = STONE_TONES[rng.integers(len(STONE_TONES))] * rng.uniform(0.7, 1.25)
        angle = float(rng.uniform(0, 180))
        cv2.ellipse(img, centre, axes, angle, 0, 360, (tone * 0.7).tolist(), -1, cv2.LINE_AA)
        inner = (max(1, int(axes[0] * 0.75)), max(1, int(axes[1] * 0.7)))
        cv2.ellipse(img, (centre[0] - axes[1] // 5, centre[1] - axes[1] // 5), inner, angle, 0, 360, tone.tolist(), -1, cv2.LINE_AA)
    return img


def _clay(stuff: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    field = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0), size * 0.06)
    field /= field.std() + 1e-6
    cover = np.clip((field - rng.uniform(-0.8, 0.2)) * 2.0, 0, 1)[..., None]
    clay = CLAY[rng.integers(len(CLAY))] * (1 + 0.08 * rng.standard_normal((size, size, 1))).astype(np.float32)
    return stuff * (1 - cover) + clay * cover


def _things(img: np.ndarray, rng: np.random.Generator, size: int) -> None:
    for _ in range(int(rng.integers(1, 4))):
        tone = THINGS[rng.integers(len(THINGS))].tolist()
        kind = int(rng.integers(3))
        c = rng.uniform(0.2, 0.8, 2) * size
        if kind == 0:  # cardboard or film: a flat quadrilateral
            pts = (c + rng.uniform(-0.12, 0.12, (4, 2)) * size).astype(np.int32)
            cv2.fillConvexPoly(img, cv2.convexHull(pts), tone, cv2.LINE_AA)
        elif kind == 1:  # rope or wire: a thick polyline
            pts = (c + np.cumsum(rng.uniform(-0.08, 0.08, (5, 2)) * size, axis=0)).astype(np.int32)
            cv2.polylines(img, [pts], False, tone, max(2, int(size * 0.015)), cv2.LINE_AA)
        else:  # a leaf
            axes = (int(size * rng.uniform(0.05, 0.1)), int(size * rng.uniform(0.02, 0.04)))
            cv2.ellipse(img, (int(c[0]), int(c[1])), axes, float(rng.uniform(0, 180)), 0, 360, tone, -1, cv2.LINE_AA)


def _camera(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    img = img * rng.uniform(0.75, 1.2) * rng.uniform(0.93, 1.07, 3)
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.0))
    img = img + rng.uniform(1, 5) * rng.standard_normal(img.shape)
    out = np.clip(img, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 95))])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else out
