"""Particle sizes from one calibrated top-view photo: largest, median, share of elongated.

What "size" means here. A sieve passes a grain by its intermediate dimension, which a top
view of a grain lying flat shows as its *width*: the short side of the grain's minimum-area
bounding rectangle (minimum Feret-like). Its *length* is the long side (close to the maximum
Feret length). Largest and median are widths, in mm. The median is by count, not by mass as
a sieve d50 is: a trend, not a certified grading. A grain is *elongated* (GB/T 14685: longest
dimension > 2.4 x the mean size of its size fraction) when its length exceeds 2.4 x the mean
of the two standard sieves that bracket its width.

What can be measured. Grains must lie as one layer against a visible background (tray, or
the bulk of fine sand around oversize stones): a heap with no background, a frame without a
calibration, or many grains that stay merged after splitting is "not measured", never a
small number. Grains cut by the frame edge are left out (their size is unknown; the widest
such blob is reported, but a tray rim or a shadow there looks the same, so no rule uses
it: a grain too big to lie wholly in any frame is for the classifier and the review). Grains
narrower than `MIN_WIDTH_PX` are below what the camera resolves: `floor_mm` says how small a
particle the measurement could have seen.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import cv2
import numpy as np

ELONGATED_RATIO = 2.4
# GB/T 14684/14685 square-hole sieves (mm); below 0.6 mm nothing is resolved anyway.
SIEVES_MM = (0.6, 1.18, 2.36, 4.75, 9.5, 16.0, 19.0, 26.5, 31.5, 37.5, 53.0, 63.0, 75.0, 90.0)
MIN_WIDTH_PX = 4.0      # narrower blobs are texture or noise, not grains we can size
MIN_COUNT = 5           # fewer grains give a largest size but no median or elongated share
MAX_COVERAGE = 0.6      # more grain than background: a heap, grains cannot be told apart
MAX_MERGED_SHARE = 0.3  # more clumps than this left after splitting: sizes would be wrong
NECK = 0.8              # a dip of the distance map below this share of a grain's radius splits it
MAX_NOISE = 12.0        # background texture (Lab units) above which a grain could hide in it
MIN_SOLIDITY = 0.9      # a region less convex than this is taken as grains still stuck together


def fraction_mean_mm(width_mm: float) -> float:
    """Mean of the two sieves that bracket `width_mm` (its size fraction)."""
    edges = (0.0, *SIEVES_MM, float("inf"))
    i = int(np.searchsorted(SIEVES_MM, width_mm, side="right"))
    lo, hi = edges[i], edges[i + 1]
    if hi == float("inf"):
        return width_mm  # beyond the largest sieve: the grain is its own fraction
    return (lo + hi) / 2 if lo > 0 else hi / 2


@dataclass(frozen=True)
class Measurements:
    measured: bool
    reason: str | None = None            # why not measured ("no_calibration", "heap", ...)
    mm_per_px: float | None = None
    count: int = 0                       # grains sized (whole, split, above the floor)
    largest_mm: float | None = None      # None with measured=True: no grain above floor_mm
    median_mm: float | None = None       # None when count < MIN_COUNT
    elongated_share: float | None = None  # None when count < MIN_COUNT
    floor_mm: float | None = None        # the smallest width the camera resolves
    merged: int = 0                      # clumps that could not be split (left out)
    largest_clump_mm: float | None = None  # widest such clump: an upper bound it may hide
    largest_cut_mm: float | None = None  # widest blob cut by the frame edge (tray rim, shadow or grain)
    frames: int = 1                      # frames measured (after aggregation)

    def to_json(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def not_measured(reason: str, mm_per_px: float | None = None) -> Measurements:
    return Measurements(measured=False, reason=reason, mm_per_px=mm_per_px, frames=0)


def measure(image_bgr: np.ndarray, mm_per_px: float | None) -> Measurements:
    """One BGR uint8 photo and its scale -> Measurements. Never raises on a bad image."""
    if mm_per_px is None or not mm_per_px > 0:
        return not_measured("no_calibration")
    if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or min(image_bgr.shape[:2]) < 32:
        return not_measured("image_too_small", mm_per_px)
    mask, noise = foreground(image_bgr)
    if noise > MAX_NOISE:
        # The threshold (5 x the texture) would miss grains of ordinary contrast, so "no grain
        # seen" could not be trusted: a heap of stones, not grains on a tray or in fine sand.
        return not_measured("busy_background", mm_per_px)
    if mask.mean() / 255 > MAX_COVERAGE:
        return not_measured("heap", mm_per_px)
    sizes, clumps, cut = _grain_sizes(mask)
    if len(clumps) > MAX_MERGED_SHARE * max(1, len(sizes) + len(clumps)):
        return not_measured("merged_grains", mm_per_px)
    m = summarise(sizes, mm_per_px, MIN_WIDTH_PX * mm_per_px, clumps)
    return replace(m, largest_cut_mm=max(cut) * mm_per_px if cut else None)


def summarise(sizes_px: Sequence[tuple[float, float]], mm_per_px: float, floor_mm: float,
              clumps_px: Sequence[float] = ()) -> Measurements:
    """(width, length) in pixels per grain, and widths of unsplit clumps -> figures in mm."""
    widths = np.array([w for w, _ in sizes_px], float) * mm_per_px
    lengths = np.array([l for _, l in sizes_px], float) * mm_per_px
    n = len(widths)
    enough = n >= MIN_COUNT
    elongated = sum(l > ELONGATED_RATIO * fraction_mean_mm(w) for w, l in zip(widths, lengths))
    return Measurements(
        measured=True, mm_per_px=mm_per_px, count=n,
        largest_mm=float(widths.max()) if n else None,
        median_mm=float(np.median(widths)) if enough else None,
        elongated_share=elongated / n if enough else None,
        floor_mm=floor_mm, merged=len(clumps_px),
        largest_clump_mm=max(clumps_px) * mm_per_px if len(clumps_px) else None,
    )


def foreground(image_bgr: np.ndarray) -> tuple[np.ndarray, float]:
    """255 where a pixel differs from the background (tray, or the bulk of fine sand), else 0;
    and the background's texture (median Lab distance of its pixels to the fitted surface).

    Contrast is the Lab colour distance to a smooth background fitted to the picture (it
    follows uneven light). The threshold is a multiple of the background's own texture, so
    fine sand alone, whose grains are below the resolution, yields no grains at all.
    """
    lab = cv2.cvtColor(cv2.GaussianBlur(image_bgr, (0, 0), 1.0), cv2.COLOR_BGR2LAB).astype(np.float32)
    bg, bg_mask = _background(lab)
    dist = np.sqrt(((lab - bg) ** 2).sum(axis=2))
    noise = float(np.median(dist[bg_mask])) if bg_mask.any() else float(np.median(dist))
    low = max(5.0 * noise, 12.0)
    mask = (dist > low).astype(np.uint8) * 255
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    return _fill_holes(_half_contrast(_solid_blobs(mask), dist, low)), noise


def _solid_blobs(mask: np.ndarray, min_density: float = 0.85) -> np.ndarray:
    """Filled blobs, keeping only those the threshold already covered almost whole: a grain is
    a solid body, while shadows and clumps of sand texture come out as lace."""
    filled = _fill_holes(mask)
    n, labels = cv2.connectedComponents(filled, connectivity=8)
    if n <= 1:
        return filled
    area = np.bincount(labels.ravel(), minlength=n)
    covered = np.bincount(labels.ravel(), weights=(mask > 0).ravel(), minlength=n)
    solid = covered >= min_density * np.maximum(area, 1)
    solid[0] = False
    return np.where(solid[labels], 255, 0).astype(np.uint8)


def _half_contrast(mask: np.ndarray, dist: np.ndarray, low: float) -> np.ndarray:
    """Move each blob's outline to half its own contrast: a blurred edge's true position.
    A threshold near the background's noise would put every edge outside the grain."""
    n, labels = cv2.connectedComponents(mask, connectivity=8)
    if n <= 1:
        return mask
    # Contrast of the blob's core (two pixels in from its outline): the edge itself is mixed.
    core = cv2.erode(mask, np.ones((5, 5), np.uint8)) > 0
    core_lab, core_dist = labels[core], dist[core]
    counts = np.bincount(core_lab, minlength=n).astype(np.float64)
    contrast = np.bincount(core_lab, weights=core_dist, minlength=n) / np.maximum(counts, 1)
    all_counts = np.bincount(labels.ravel(), minlength=n)
    mean = np.bincount(labels.ravel(), weights=dist.ravel(), minlength=n) / np.maximum(all_counts, 1)
    contrast = np.where(counts > 0, contrast, mean)
    # Grow each blob's label by two pixels so edge pixels just outside it are judged too.
    grown = cv2.dilate(labels.astype(np.float32), np.ones((5, 5), np.uint8)).astype(np.int32)
    grown = np.where(labels > 0, labels, grown)
    level = np.where(grown > 0, np.maximum(0.5 * contrast[grown], 0.6 * low), np.inf)
    return (dist > level).astype(np.uint8) * 255


def _background(lab: np.ndarray, side: int = 64, rounds: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """A quadratic colour surface fitted to the background of a small copy, refitted without
    the pixels that stand out; returns it at full size, and where the background is."""
    h, w = lab.shape[:2]
    sw, sh = max(8, round(w * side / max(h, w))), max(8, round(h * side / max(h, w)))
    small = cv2.resize(lab, (sw, sh), interpolation=cv2.INTER_AREA).reshape(-1, 3)
    yy, xx = np.mgrid[0:sh, 0:sw].reshape(2, -1) / np.array([[sh], [sw]], np.float32) - 0.5
    design = np.stack([np.ones_like(xx), xx, yy, xx * xx, xx * yy, yy * yy], 1)
    # Start from the pixels nearest the median colour: the background is the commonest surface
    # (coverage <= MAX_COVERAGE), and a first fit through all pixels can settle on the grains.
    near = np.linalg.norm(small - np.median(small, axis=0), axis=1)
    keep = near <= np.percentile(near, 35)
    for _ in range(rounds):
        a = design[keep]
        # Normal equations of a 6-term fit: a 6x6 solve, far cheaper than a general lstsq.
        coef = np.linalg.solve(a.T @ a + 1e-6 * np.eye(6, dtype=np.float32), a.T @ small[keep])
        resid = np.linalg.norm(small - design @ coef, axis=1)
        keep = resid < max(3.0 * float(np.median(resid[keep])), 4.0)
    fit = (design @ coef).reshape(sh, sw, 3).astype(np.float32)
    full = cv2.resize(fit, (w, h), interpolation=cv2.INTER_LINEAR)
    mask = cv2.resize(keep.reshape(sh, sw).astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    return full, mask


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = np.zeros_like(mask)
    cv2.drawContours(out, contours, -1, 255, cv2.FILLED)
    return out


def _grain_sizes(mask: np.ndarray) -> tuple[list[tuple[float, float]], list[float], list[float]]:
    """Split touching grains, then (width, length) in px of each whole grain; the widths of
    clumps left unsplit, and of blobs cut by the frame edge (both excluded from the figures,
    reported so a rule can refuse to pass what they may hide)."""
    labels = split_touching(mask)
    n, blobs, stats, _ = cv2.connectedComponentsWithStats((labels > 0).astype(np.uint8), connectivity=8)
    h, w = mask.shape
    sizes: list[tuple[float, float]] = []
    clumps: list[float] = []
    cut: list[float] = []
    for b, (x, y, bw, bh, _) in enumerate(stats[1:], start=1):
        if x <= 0 or y <= 0 or x + bw >= w or y + bh >= h:
            # Cut by the frame edge: its true size is unknown, but no smaller than what shows.
            if (size := _size(blobs[y : y + bh, x : x + bw] == b)) is not None:
                cut.append(size[0])
            continue
        crop = np.where(blobs[y : y + bh, x : x + bw] == b, labels[y : y + bh, x : x + bw], 0)
        for k in np.unique(crop[crop > 0]):
            size = _size(crop == k)
            if size is None:
                continue
            if size[2] < MIN_SOLIDITY:
                clumps.append(size[0])
            else:
                sizes.append(size[:2])
    return sizes, clumps, cut


def _size(region: np.ndarray) -> tuple[float, float, float] | None:
    """(width, length, solidity) of one grain's pixels, or None below the resolution."""
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    c = max(contours, key=cv2.contourArea)
    (_, _), (a, b), _ = cv2.minAreaRect(c)
    # The contour runs through the centres of edge pixels: one pixel more spans the edges.
    width, length = min(a, b) + 1.0, max(a, b) + 1.0
    if width < MIN_WIDTH_PX:
        return None
    hull = cv2.contourArea(cv2.convexHull(c))
    solidity = float(region.sum()) / max(hull + 0.5 * cv2.arcLength(cv2.convexHull(c), True), 1.0)
    return width, length, solidity


def split_touching(mask: np.ndarray) -> np.ndarray:
    """Label image: 0 background, 1.. one label per grain. Blobs with more than one grain
    centre are split by flooding the distance map from the centres, highest level first
    (a watershed): the flood meets at the necks between touching grains."""
    dist = cv2.distanceTransform(mask, cv2.DIST_L2, 5)
    n, blobs, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    centres: dict[int, list[tuple[int, int]]] = {}
    for x, y in _grain_centres(dist):
        centres.setdefault(int(blobs[y, x]), []).append((x, y))
    out = np.zeros(mask.shape, np.int32)
    next_id = 1
    for b in range(1, n):
        x, y, bw, bh, _ = stats[b]
        inside = blobs[y : y + bh, x : x + bw] == b
        seeds = [(cx - x, cy - y) for cx, cy in centres.get(b, [])]
        part = out[y : y + bh, x : x + bw]
        if len(seeds) <= 1:
            part[inside] = next_id
            next_id += 1
            continue
        flooded = _flood(dist[y : y + bh, x : x + bw] * inside, seeds)
        part[inside] = np.where(flooded[inside] > 0, flooded[inside] + next_id - 1, 0)
        next_id += len(seeds)
    return out


def _flood(dist: np.ndarray, seeds: list[tuple[int, int]]) -> np.ndarray:
    """Watershed by immersion on one blob: labels 1..len(seeds) grow, level by level from the
    top of the distance map down, into pixels at or above the level."""
    lab = np.zeros(dist.shape, np.float32)  # float so cv2.dilate can spread label values
    for i, (x, y) in enumerate(seeds, start=1):
        lab[y, x] = i
    kernel = np.ones((3, 3), np.uint8)
    for level in np.arange(float(dist.max()), -0.5, -1.0):
        allowed = dist >= max(level, 1e-6)
        for _ in range(4 * max(dist.shape)):
            grown = cv2.dilate(lab, kernel)
            new = (lab == 0) & allowed & (grown > 0)
            if not new.any():
                break
            lab[new] = grown[new]
    return lab.astype(np.int32)


def _grain_centres(dist: np.ndarray) -> list[tuple[int, int]]:
    """Centres of the largest inscribed circles, one per grain: local maxima of the distance
    transform, taken from the largest. A candidate joins a kept centre of the same blob when
    the distance along the straight line between them never dips (a grain is convex, so its
    ridge does not dip); a neck between them means two grains touching."""
    peaks = (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8))) & (dist >= MIN_WIDTH_PX / 2)
    _, _, _, cents = cv2.connectedComponentsWithStats(peaks.astype(np.uint8), connectivity=8)
    _, blob = cv2.connectedComponents((dist > 0).astype(np.uint8), connectivity=8)
    cand = sorted(((float(dist[int(round(cy)), int(round(cx))]), int(round(cx)), int(round(cy)))
                   for cx, cy in cents[1:]), reverse=True)
    kept: dict[int, list[tuple[float, int, int]]] = {}
    for r, x, y in cand:
        if r <= 0:
            continue
        same_blob = kept.setdefault(int(blob[y, x]), [])
        if all(_neck(dist, (x, y), (kx, ky), min(r, kr)) for kr, kx, ky in same_blob):
            same_blob.append((r, x, y))
    return [(x, y) for peaks_ in kept.values() for _, x, y in peaks_]


def _neck(dist: np.ndarray, a: tuple[int, int], b: tuple[int, int], r: float) -> bool:
    """True when the distance transform dips well below `r` somewhere between a and b."""
    n = int(np.hypot(a[0] - b[0], a[1] - b[1])) + 2
    xs = np.linspace(a[0], b[0], n).round().astype(int)
    ys = np.linspace(a[1], b[1], n).round().astype(int)
    return float(dist[ys, xs].min()) < NECK * r - 1.0


def aggregate(per_frame: Sequence[Measurements]) -> Measurements:
    """Several frames of one sample: largest of the largest, median of medians, mean share.
    Measured when at least one frame was; frames that were not are left out."""
    ok = [m for m in per_frame if m.measured]
    if not ok:
        reasons = sorted({m.reason or "not_measured" for m in per_frame}) or ["no_frames"]
        mm = next((m.mm_per_px for m in per_frame if m.mm_per_px), None)
        return not_measured(",".join(reasons), mm)
    largest = [m.largest_mm for m in ok if m.largest_mm is not None]
    medians = [m.median_mm for m in ok if m.median_mm is not None]
    shares = [m.elongated_share for m in ok if m.elongated_share is not None]
    clumps = [m.largest_clump_mm for m in ok if m.largest_clump_mm is not None]
    cuts = [m.largest_cut_mm for m in ok if m.largest_cut_mm is not None]
    return Measurements(
        measured=True, mm_per_px=ok[0].mm_per_px, count=max(m.count for m in ok),
        largest_mm=max(largest) if largest else None,
        median_mm=float(np.median(medians)) if medians else None,
        elongated_share=float(np.mean(shares)) if shares else None,
        floor_mm=max(m.floor_mm or 0.0 for m in ok), merged=max(m.merged for m in ok), frames=len(ok),
        largest_clump_mm=max(clumps) if clumps else None, largest_cut_mm=max(cuts) if cuts else None,
    )
