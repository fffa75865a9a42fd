"""Grain-size distribution of a packed surface, without separating grains.

A packed bed of grains is a random texture whose lengths scale with the grains. Two published
measures of that texture (`vision.grading_features`, both from one power spectrum per image
direction):

- the Morlet wavelet spectrum of Buscombe (2013), "Transferable wavelet method for grain-size
  distribution from images of sediment surfaces and thin sections, and other natural granular
  patterns", Sedimentology 60: its percentiles, with the scale-bias correction of Liu et al.
  (2007);
- the autocorrelation curve of Rubin (2004), "A simple autocorrelation algorithm for
  determining grain size from digital images of sediment", J. Sedimentary Research 74: the lags
  at which it falls to fixed levels;

are mapped to D10 / D50 / D90 in pixels by a ridge regressor in log space (`vision.grading_fit`,
scale-equivariant: twice the grains, twice the estimate) fitted on the train series of
data/real-photos against their published percentiles (`scripts/bench_grading.py --fit`, which
writes `models/grading.json`). A camera calibration (mm per pixel) turns them into millimetres.
The old method (wavelet percentiles times one factor each, `FACTORS`) is kept for the benchmark.
A trend for the gate, not a certified sieve grading.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from vision.grading_features import SPECTRUM_QUANTILES, features, spectra, wavelet_density
from vision.grading_fit import Coefficients

COEFFICIENTS = Path(__file__).resolve().parent.parent / "models" / "grading.json"
# The old estimator's factors per percentile (D10, D50, D90): the geometric mean ratio of the
# published percentile to the wavelet one on the train series. Kept as the benchmark's baseline.
FACTORS = (4.202, 1.405, 0.586)


class Grading(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    d10_px: float
    d50_px: float
    d90_px: float
    unit: str = "px"
    d10_mm: float | None = None
    d50_mm: float | None = None
    d90_mm: float | None = None
    frames: int = 1

    def share_above(self, size_mm: float) -> float | None:
        """Share of the surface coarser than `size_mm`, interpolated in log size between the
        percentiles; below D10 it stays 0.9 and above D90 0.1 (the three percentiles say
        nothing finer). None without a camera calibration."""
        if self.d10_mm is None or self.d50_mm is None or self.d90_mm is None:
            return None
        sizes = np.log(np.maximum.accumulate([self.d10_mm, self.d50_mm, self.d90_mm]))
        passing = float(np.interp(np.log(size_mm), sizes, [0.1, 0.5, 0.9]))
        return round(1.0 - passing, 4)

    def to_json(self) -> dict[str, float | int | str | None]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.model_dump().items()}


@lru_cache(maxsize=4)
def coefficients(path: Path = COEFFICIENTS) -> Coefficients:
    return Coefficients.model_validate_json(path.read_text(encoding="utf-8"))


def percentiles(image: np.ndarray) -> tuple[float, float, float]:
    """The wavelet spectrum's 10th, 50th and 90th percentile wavelengths in px (old method,
    before its factors)."""
    rows, n_rows, cols, n_cols = spectra(image)
    wl, density = wavelet_density(rows, int(n_rows), cols, int(n_cols))
    cdf = np.cumsum(density)
    p10, p50, p90 = (float(np.exp(np.interp(q, cdf, np.log(wl)))) for q in (0.1, 0.5, 0.9))
    return p10, p50, p90


def wavelet_grade(image: np.ndarray, factors: tuple[float, float, float] = FACTORS) -> tuple[float, float, float]:
    """The old estimate: wavelet percentiles times one factor each, px."""
    p10, p50, p90 = percentiles(image)
    return p10 * factors[0], p50 * factors[1], p90 * factors[2]


def grade(image: np.ndarray, mm_per_px: float | None = None, fit: Coefficients | None = None) -> Grading:
    """D10 / D50 / D90 of a packed surface; in mm too when the camera's scale is known.
    Raises ValueError on an image it cannot grade (too small, flat, not finite)."""
    fit = fit or coefficients()
    logs = np.log(features(image))[None, :]
    if not np.all(np.isfinite(logs)):
        raise ValueError("texture features not finite (a flat or broken image)")
    d10, d50, d90 = np.maximum.accumulate(np.exp(fit.predict_log(logs)[0]))
    return _grading(float(d10), float(d50), float(d90), mm_per_px)


def _grading(d10: float, d50: float, d90: float, mm_per_px: float | None, frames: int = 1) -> Grading:
    mm = {} if mm_per_px is None else {"d10_mm": d10 * mm_per_px, "d50_mm": d50 * mm_per_px, "d90_mm": d90 * mm_per_px}
    return Grading(d10_px=round(d10, 2), d50_px=round(d50, 2), d90_px=round(d90, 2), frames=frames, **mm)


def combine(gradings: Sequence[Grading], mm_per_px: float | None) -> Grading:
    """One load's grading from its frames: the median of each percentile."""
    if not gradings:
        raise ValueError("no frame graded")
    d10, d50, d90 = (float(np.median([getattr(g, f"d{k}_px") for g in gradings])) for k in (10, 50, 90))
    return _grading(d10, d50, d90, mm_per_px, frames=len(gradings))


__all__ = ["COEFFICIENTS", "FACTORS", "SPECTRUM_QUANTILES", "Grading", "coefficients", "combine", "grade",
           "percentiles", "wavelet_grade"]
