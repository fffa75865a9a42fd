"""Frame-quality gate: is this frame fit to be judged at all? Pure functions on BGR images.

A frame that fails goes to REVIEW (or is re-shot); it is never classified into a PASS.
Metrics are computed on a copy scaled to `analysis_side` so thresholds do not depend on the
camera resolution.
"""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from vision.preprocess import as_bgr


class QualityThresholds(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    analysis_side: int = Field(256, ge=32, description="long side of the copy the metrics are computed on")
    min_sharpness: float = Field(20.0, ge=0, description="variance of the Laplacian below this may be blur")
    max_blur_index: float = Field(0.45, ge=0, le=1, description="re-blur index above this confirms blur")
    covered_luma: float = Field(30.0, ge=0, le=255, description="mean luma below this: lens covered or no light")
    dark_level: int = Field(8, ge=0, le=255, description="luma at or below this counts as clipped dark")
    bright_level: int = Field(250, ge=0, le=255, description="luma at or above this counts as clipped bright")
    max_clipped_dark: float = Field(0.25, ge=0, le=1, description="share of clipped-dark pixels: underexposed")
    max_clipped_bright: float = Field(0.15, ge=0, le=1, description="share of clipped-bright pixels: overexposed")
    min_contrast: float = Field(2.0, ge=0, description="luma std below this: uniform frame (test card, lens cap)")


class FrameQuality(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    reasons: list[str]
    sharpness: float
    mean_luma: float
    clipped_dark: float
    clipped_bright: float
    contrast: float
    blur_index: float  # 0 = crisp, 1 = re-blurring changes nothing (already blurred)


DEFAULT_THRESHOLDS = QualityThresholds()


def assess(image_bgr: np.ndarray, thresholds: QualityThresholds = DEFAULT_THRESHOLDS) -> FrameQuality:
    t = thresholds
    luma = _analysis_luma(image_bgr, t.analysis_side)
    sharpness = float(cv2.Laplacian(luma, cv2.CV_32F).var())
    mean_luma = float(luma.mean())
    contrast = float(luma.std())
    clipped_dark = float(np.count_nonzero(luma <= t.dark_level)) / luma.size
    clipped_bright = float(np.count_nonzero(luma >= t.bright_level)) / luma.size
    reasons: list[str] = []
    # "Covered" is about darkness only: an empty tray is legitimately plain but well lit.
    if mean_luma < t.covered_luma:
        reasons.append(f"covered or dark: mean luma {mean_luma:.0f} < {t.covered_luma:.0f}")
    elif clipped_dark > t.max_clipped_dark:
        reasons.append(f"underexposed: {clipped_dark:.0%} of pixels black")
    if clipped_bright > t.max_clipped_bright:
        reasons.append(f"overexposed: {clipped_bright:.0%} of pixels saturated")
    if contrast < t.min_contrast:
        reasons.append(f"uniform frame: luma std {contrast:.1f} < {t.min_contrast:.1f}")
    # Low Laplacian variance alone also describes a plain, well-focused tray, so a blur
    # verdict also needs the re-blur index, which is normalised by the image's own edges.
    blur = blur_index(luma)
    if contrast >= t.min_contrast and sharpness < t.min_sharpness and blur > t.max_blur_index:
        reasons.append(f"blurred: sharpness {sharpness:.1f} < {t.min_sharpness:.1f}, blur index {blur:.2f}")
    return FrameQuality(
        ok=not reasons,
        reasons=reasons,
        sharpness=sharpness,
        mean_luma=mean_luma,
        clipped_dark=clipped_dark,
        clipped_bright=clipped_bright,
        contrast=contrast,
        blur_index=blur,
    )


def frozen(frames: Sequence[np.ndarray], tolerance: float = 0.0) -> bool:
    """True when two consecutive frames are identical (mean absolute difference <= tolerance).

    A live sensor never delivers two bit-identical frames, so a repeat means a stalled
    camera or a replayed buffer.
    """
    for previous, current in zip(frames, frames[1:]):
        if previous.shape != current.shape:
            continue
        if tolerance <= 0.0:
            if np.array_equal(previous, current):
                return True
        elif float(cv2.norm(previous, current, cv2.NORM_L1)) / previous.size <= tolerance:
            return True
    return False


def blur_index(luma: np.ndarray) -> float:
    """No-reference blur index after Crete-Roffet et al. (2007): how much of the image's
    neighbour-to-neighbour variation survives a strong extra blur. 0 = sharp, 1 = blurred."""
    g = luma.astype(np.float32)
    worst = 0.0
    for axis, kernel in ((0, (1, 9)), (1, (9, 1))):
        d = np.abs(np.diff(g, axis=axis))
        db = np.abs(np.diff(cv2.blur(g, kernel), axis=axis))
        total = float(d.sum())
        if total <= 0.0:
            return 1.0
        lost = float(np.maximum(d - db, 0.0).sum())
        worst = max(worst, (total - lost) / total)
    return worst


def _analysis_luma(image_bgr: np.ndarray, side: int) -> np.ndarray:
    grey = cv2.cvtColor(as_bgr(image_bgr), cv2.COLOR_BGR2GRAY)
    h, w = grey.shape
    scale = side / max(h, w)
    if scale < 1.0:
        grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return grey


def thumbnail(image_bgr: np.ndarray, side: int = 32) -> np.ndarray:
    """A blurred grey `side` x `side` copy, zero mean and unit norm: what a frame shows at a
    glance, blind to sensor noise, a pixel or two of shake and the exposure level."""
    grey = cv2.cvtColor(as_bgr(image_bgr), cv2.COLOR_BGR2GRAY).astype(np.float32)
    sigma = max(grey.shape[:2]) / 64.0
    small = cv2.resize(cv2.GaussianBlur(grey, (0, 0), sigma), (side, side), interpolation=cv2.INTER_AREA)
    small -= small.mean()
    norm = float(np.linalg.norm(small))
    return small / norm if norm > 1e-6 else small


def distinct_views(thumbnails: Sequence[np.ndarray], same: float = 0.9) -> int:
    """How many of the frames show different views: a frame whose thumbnail correlates at
    least `same` with an already counted one adds nothing. Several near-identical frames of
    one tray are one piece of evidence, not several. Thumbnails of generated photos of
    different trays correlate about 0 at the median and rarely above 0.8; a re-shot of one tray
    (sensor noise, 3 px of shake, 7 % exposure change) 0.95 or more."""
    kept: list[np.ndarray] = []
    for thumb in thumbnails:
        flat = np.ravel(thumb)
        # A flat (featureless) thumbnail cannot be told from another: it counts only once.
        if not kept or all(float(flat @ k) < same and float(flat @ flat) > 0 for k in kept):
            kept.append(flat)
    return len(kept)
