"""Tray photos whose particle sizes are known: the yardstick for `vision.particles`.

Grains are ellipses or irregular convex polygons of chosen width (the sieve-like short
dimension) and length (the long dimension), laid as a single layer on a tray, some apart and
some in touching pairs, then lit unevenly, blurred and noised like a camera would. The truth
is computed from the drawn dimensions with the same size and elongation definitions as the
measurement (`vision.particles`), so the test compares like with like.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vision.particles import ELONGATED_RATIO, fraction_mean_mm

# BGR tray colours (steel, white, blue, green plastic) and stone colours that contrast with them.
_TRAYS = np.array([[150, 150, 145], [215, 218, 220], [160, 110, 60], [80, 120, 70]], np.float32)
_SS = 4  # supersampling factor
_STONES = np.array([[60, 70, 80], [95, 120, 150], [40, 45, 50], [120, 150, 190], [70, 90, 140]], np.float32)


@dataclass(frozen=True)
class Grain:
    width_mm: float
    length_mm: float

    @property
    def elongated(self) -> bool:
        return self.length_mm > ELONGATED_RATIO * fraction_mean_mm(self.width_mm)


@dataclass(frozen=True)
class KnownSample:
    image: np.ndarray            # BGR uint8
    mm_per_px: float
    grains: tuple[Grain, ...]    # every grain drawn wholly inside the frame

    @property
    def largest_mm(self) -> float:
        return max(g.width_mm for g in self.grains)

    @property
    def median_mm(self) -> float:
        return float(np.median([g.width_mm for g in self.grains]))

    @property
    def elongated_share(self) -> float:
        return sum(g.elongated for g in self.grains) / len(self.grains)


def _pick_grain(rng: np.random.Generator, width_range: tuple[float, float], p_elongated: float) -> Grain:
    """Elongated grains are clearly so (length >= 1.25 x the 2.4 limit), compact ones clearly
    not (<= 0.75 x), so a grain's class does not hinge on a pixel."""
    width = float(rng.uniform(*width_range))
    limit = ELONGATED_RATIO * fraction_mean_mm(width)
    if rng.random() < p_elongated:
        length = float(rng.uniform(1.25, 1.5)) * limit
    else:
        length = float(np.clip(rng.uniform(1.0, 1.8) * width, width, 0.75 * limit))
    return Grain(width, max(length, width))


def _shape(rng: np.random.Generator, centre: np.ndarray, grain: Grain, angle: float, px: float) -> np.ndarray:
    """Outline (N x 2 float) of an ellipse or an irregular convex polygon whose minimum-area
    bounding rectangle is width x length."""
    w, l = grain.width_mm / px, grain.length_mm / px
    t = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    if rng.random() < 0.5:
        pts = np.stack([l / 2 * np.cos(t), w / 2 * np.sin(t)], 1)
    else:
        # A convex polygon touching all four sides of the w x l box: a crushed-stone look.
        k = int(rng.integers(6, 10))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        ang[:4] = [0, np.pi / 2, np.pi, 3 * np.pi / 2]
        ang = np.sort(ang + rng.uniform(-0.15, 0.15, k) * (np.arange(k) >= 4))
        r = np.stack([np.cos(ang), np.sin(ang)], 1)
        r /= np.abs(r).max(axis=0)  # stretch so the extremes reach the box sides
        pts = r * [l / 2, w / 2]
    c, s = np.cos(angle), np.sin(angle)
    return pts @ np.array([[c, s], [-s, c]]) + centre


def _place(rng: np.random.Generator, grains: list[Grain], size: int, px: float, touching: float
           ) -> list[np.ndarray]:
    """Non-overlapping placement by rejection on bounding circles; `touching` share of grains
    is set against the previous one so the two outlines meet."""
    outlines: list[np.ndarray] = []
    circles: list[tuple[np.ndarray, float]] = []
    for grain in grains:
        r = grain.length_mm / px / 2 + 2
        if 2 * r + 8 >= size:
            continue  # longer than the frame: not drawn, not in the truth
        for _ in range(400):
            angle = float(rng.uniform(0, np.pi))
            if circles and rng.random() < touching:
                prev_c, prev_r = circles[-1]
                d = rng.normal(size=2)
                # Side by side: across the short axes, so the pair neck is narrow.
                centre = prev_c + d / np.linalg.norm(d) * (prev_r + grain.width_mm / px / 2 - 1)
            else:
                centre = rng.uniform(r + 4, size - r - 4, 2)
            outline = _shape(rng, centre, grain, angle, px)
            if outline.min() < 3 or outline.max() > size - 4:
                continue
            if all(_apart(outline, o) for o in outlines):
                outlines.append(outline)
                circles.append((centre, r))
                break
    return outlines


def _apart(a: np.ndarray, b: np.ndarray) -> bool:
    """True when the convex outlines do not overlap (they may touch by a pixel or two)."""
    ca, cb = a.astype(np.float32), b.astype(np.float32)
    area, _ = cv2.intersectConvexConvex(cv2.convexHull(ca), cv2.convexHull(cb))
    return area < 0.02 * min(cv2.contourArea(ca), cv2.contourArea(cb)) + 4


def known_sample(rng: np.random.Generator, mm_per_px: float, size: int = 640, n: int = 30,
                 width_range: tuple[float, float] = (3.0, 12.0), p_elongated: float = 0.25,
                 touching: float = 0.2) -> KnownSample:
    """One photo with `n` grains requested (fewer when they do not fit) and its truth."""
    grains = [_pick_grain(rng, width_range, p_elongated) for _ in range(n)]
    outlines = _place(rng, grains, size, mm_per_px, touching)
    tray = _TRAYS[rng.integers(len(_TRAYS))] * np.float32(rng.uniform(0.9, 1.1))
    # Drawn at 4x and shrunk by area averaging: edges fall between pixels as in a photo.
    big = np.empty((size * _SS, size * _SS, 3), np.float32)
    big[:] = tray
    stones = _contrasting(tray)
    for outline in outlines:
        colour = stones[rng.integers(len(stones))] * np.float32(rng.uniform(0.9, 1.1))
        cv2.fillPoly(big, [np.round((outline + 0.5) * _SS * 16 - 8).astype(np.int32)], colour.tolist(), shift=4)
    img = cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA)
    return KnownSample(_camera(img, rng), mm_per_px, tuple(_truth(o, mm_per_px) for o in outlines))


def _contrasting(tray: np.ndarray, min_distance: float = 60.0) -> np.ndarray:
    """Stone colours that stand out from the tray (Lab distance): a site picks its tray so."""
    lab = cv2.cvtColor(np.vstack([tray[None], _STONES]).astype(np.uint8)[None], cv2.COLOR_BGR2LAB)[0].astype(float)
    far = np.linalg.norm(lab[1:] - lab[0], axis=1) >= min_distance
    return _STONES[far] if far.any() else _STONES[[0]]


def _truth(outline: np.ndarray, mm_per_px: float) -> Grain:
    """The drawn outline's own minimum-area rectangle: the definition the measurement uses."""
    (_, _), (a, b), _ = cv2.minAreaRect(outline.astype(np.float32))
    return Grain(min(a, b) * mm_per_px, max(a, b) * mm_per_px)


def _camera(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uneven light (a gradient and a vignette), lens blur and sensor noise."""
    size = img.shape[0]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    d = rng.normal(size=2)
    d /= np.linalg.norm(d)
    light = 1 + rng.uniform(0.05, 0.2) * (xx * d[0] + yy * d[1]) * 2 - rng.uniform(0, 0.2) * (xx**2 + yy**2)
    img = img * light[..., None]
    sigma = float(rng.uniform(0.4, 1.2))
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += rng.normal(0, rng.uniform(2, 6), img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)
