"""Camera set-up figures from single frames: sharpness, exposure, colour cast; pixels per
millimetre from a printed checkerboard; white-balance gains from a grey card.

Pure image functions plus an atomic save: the CLI (`intake camera`) grabs the frames.
"""
from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from vision.preprocess import as_bgr, centre_crop
from vision.quality import assess


class CalibrationError(ValueError):
    """The frame does not show the target well enough to measure from it."""


class CameraCheck(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    reasons: list[str]
    sharpness: float = Field(description="variance of the Laplacian on a 256 px copy")
    mean_luma: float
    clipped_dark: float
    clipped_bright: float
    cast: dict[str, float] = Field(description="red-blue and green-magenta cast of the ROI, share of mean grey")
    roi: tuple[int, int, int, int] = Field(description="x, y, width, height of the judged region")


class Calibration(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    target: str
    px_per_mm: float = Field(gt=0)
    mm_per_px: float = Field(gt=0)
    corners_found: int
    wb_gains_bgr: tuple[float, float, float] | None = Field(None, description="multiply B, G, R by these")
    created: datetime


def roi_box(image: np.ndarray, fraction: float = 0.8) -> tuple[int, int, int, int]:
    """The centred square the classifier judges (as `centre_crop`), as x, y, w, h."""
    h, w = image.shape[:2]
    side = max(1, int(round(min(h, w) * fraction)))
    return (w - side) // 2, (h - side) // 2, side, side


def check(image: np.ndarray, roi_fraction: float = 0.8, max_cast: float = 0.08) -> CameraCheck:
    image = as_bgr(image)
    quality = assess(image)
    b, g, r = (float(v) for v in cv2.mean(centre_crop(image, roi_fraction))[:3])
    grey = max((b + g + r) / 3, 1e-6)
    cast = {"red_blue": round((r - b) / grey, 4), "green_magenta": round((g - (r + b) / 2) / grey, 4)}
    reasons = list(quality.reasons)
    # On a neutral target a cast means the white balance is off; on a sample it is the sample.
    reasons += [f"colour cast {k} {v:+.3f}" for k, v in cast.items() if abs(v) > max_cast]
    return CameraCheck(
        ok=not reasons, reasons=reasons, sharpness=round(quality.sharpness, 2),
        mean_luma=round(quality.mean_luma, 2), clipped_dark=round(quality.clipped_dark, 4),
        clipped_bright=round(quality.clipped_bright, 4), cast=cast, roi=roi_box(image, roi_fraction),
    )


def draw_roi(image: np.ndarray, result: CameraCheck) -> np.ndarray:
    out = as_bgr(image).copy()
    x, y, w, h = result.roi
    colour = (0, 200, 0) if result.ok else (0, 0, 230)
    cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), colour, max(1, min(out.shape[:2]) // 200))
    return out


def parse_target(target: str) -> tuple[int, int, float]:
    """`checkerboard:COLSxROWS:SQUARE_MM` (inner corners) -> (cols, rows, square_mm)."""
    match = re.fullmatch(r"checkerboard:(\d+)x(\d+):(\d+(?:\.\d+)?)", target.strip())
    if not match:
        raise CalibrationError(f"target must be checkerboard:COLSxROWS:SQUARE_MM, got {target!r}")
    cols, rows, square = int(match[1]), int(match[2]), float(match[3])
    if cols < 2 or rows < 2 or square <= 0:
        raise CalibrationError("a checkerboard needs at least 2x2 inner corners and a positive square size")
    return cols, rows, square


def px_per_mm(image: np.ndarray, cols: int, rows: int, square_mm: float) -> tuple[float, int]:
    """Median spacing of neighbouring inner corners (sub-pixel) divided by the square size."""
    grey = cv2.cvtColor(as_bgr(image), cv2.COLOR_BGR2GRAY)
    found, corners = cv2.findChessboardCorners(grey, (cols, rows), flags=cv2.CALIB_CB_ADAPTIVE_THRESH | cv2.CALIB_CB_NORMALIZE_IMAGE)
    if not found:
        raise CalibrationError(f"no {cols}x{rows} checkerboard found in the frame")
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 40, 0.01)
    corners = cv2.cornerSubPix(grey, corners, (5, 5), (-1, -1), criteria).reshape(rows, cols, 2)
    steps = np.concatenate([
        np.linalg.norm(np.diff(corners, axis=1), axis=2).ravel(),
        np.linalg.norm(np.diff(corners, axis=0), axis=2).ravel(),
    ])
    return float(np.median(steps)) / square_mm, cols * rows


def grey_card_gains(image: np.ndarray, fraction: float = 0.3) -> tuple[float, float, float]:
    """Gains that make the centre patch (a grey card) neutral, green kept at 1."""
    b, g, r = (float(v) for v in cv2.mean(centre_crop(as_bgr(image), fraction))[:3])
    if min(b, g, r) < 10 or max(b, g, r) > 245:
        raise CalibrationError("grey card too dark or clipped: adjust exposure and retry")
    return round(g / b, 4), 1.0, round(g / r, 4)


def calibrate(source: str, target: str, board: np.ndarray, grey_card: np.ndarray | None) -> Calibration:
    cols, rows, square = parse_target(target)
    ppm, n = px_per_mm(board, cols, rows, square)
    return Calibration(
        source=source, target=target, px_per_mm=round(ppm, 5), mm_per_px=round(1 / ppm, 6), corners_found=n,
        wb_gains_bgr=grey_card_gains(grey_card) if grey_card is not None else None,
        created=datetime.now(timezone.utc).replace(microsecond=0),
    )


def save_atomic(path: Path, calibration: Calibration) -> None:
    """Write beside the target, fsync, then rename: a crash leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(calibration.model_dump_json(indent=2) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
