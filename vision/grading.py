"""Grain-size distribution of a packed surface, without separating grains: a wavelet method
after Buscombe (2013), "Transferable wavelet method for grain-size distribution from images of
sediment surfaces and thin sections, and other natural granular patterns", Sedimentology 60.

A packed bed of grains is a random texture whose dominant wavelengths scale with the grains.
Each image row and column is transformed with a Morlet wavelet at geometrically spaced scales
(computed in the Fourier domain: one FFT per line, one product per scale); the power at each
scale, divided by the scale (the bias correction of Liu et al. 2007), normalised to sum to
one, is read as the share of the surface made of grains of that size. Percentiles of that
distribution, times one dimensionless factor fitted on photos of known grading
(`scripts/bench_grading.py`), are D10 / D50 / D90 in pixels; a camera calibration (mm per
pixel) turns them into millimetres.
"""
from __future__ import annotations

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict

from vision.preprocess import as_bgr

OMEGA0 = 6.0  # Morlet centre frequency; the usual choice, admissible in practice
FOURIER = 4 * np.pi / (OMEGA0 + np.sqrt(2 + OMEGA0**2))  # scale -> equivalent wavelength (Torrence & Compo 1998)
# Per percentile (D10, D50, D90): fitted by scripts/bench_grading.py on the train series of
# data/real-photos (geometric mean ratio of the published percentile to the wavelet one);
# the validation series only measure them.
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

    def share_above(self, size_mm: float) -> float | None:
        """Share of the surface coarser than `size_mm`, interpolated in log size between the
        percentiles; below D10 it stays 0.9 and above D90 0.1 (the three percentiles say
        nothing finer). None without a camera calibration."""
        if self.d10_mm is None or self.d50_mm is None or self.d90_mm is None:
            return None
        sizes = np.log([self.d10_mm, self.d50_mm, self.d90_mm])
        passing = float(np.interp(np.log(size_mm), sizes, [0.1, 0.5, 0.9]))
        return round(1.0 - passing, 4)


def spectrum(image: np.ndarray, n_scales: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """(wavelengths in px, normalised density) of the image's rows and columns."""
    grey = cv2.cvtColor(as_bgr(image), cv2.COLOR_BGR2GRAY).astype(np.float64)
    grey = (grey - grey.mean()) / (grey.std() + 1e-9)
    short = min(grey.shape)
    if short < 32:
        raise ValueError(f"image too small to grade: {grey.shape}")
    # Up to wavelengths near the short side: macro photos show grains a third of the frame wide.
    scales = np.geomspace(1.0, short / (1.2 * FOURIER), n_scales)
    power = _line_power(grey, scales) + _line_power(grey.T, scales)
    density = power / scales  # rectified spectrum (Liu et al. 2007)
    return scales * FOURIER, density / density.sum()


def _line_power(lines: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Mean Morlet power of every line at each scale."""
    n = lines.shape[1]
    spec = np.fft.rfft(lines * np.hanning(n), axis=1)
    omega = 2 * np.pi * np.fft.rfftfreq(n)
    out = np.empty(len(scales))
    for i, s in enumerate(scales):
        daughter = np.exp(-0.5 * (s * omega - OMEGA0) ** 2) * np.sqrt(s)  # Morlet in Fourier space
        out[i] = np.mean(np.abs(np.fft.irfft(spec * daughter, n, axis=1)) ** 2)
    return out


def percentiles(image: np.ndarray) -> tuple[float, float, float]:
    """The spectrum's 10th, 50th and 90th percentile wavelengths in px, before the factors."""
    wavelengths, density = spectrum(image)
    cdf = np.cumsum(density)
    p10, p50, p90 = (float(np.exp(np.interp(q, cdf, np.log(wavelengths)))) for q in (0.1, 0.5, 0.9))
    return p10, p50, p90


def grade(
    image: np.ndarray, mm_per_px: float | None = None, factors: tuple[float, float, float] = FACTORS
) -> Grading:
    """D10 / D50 / D90 of a packed surface; in mm too when the camera's scale is known."""
    d10, d50, d90 = (p * f for p, f in zip(percentiles(image), factors))
    mm = {} if mm_per_px is None else {"d10_mm": d10 * mm_per_px, "d50_mm": d50 * mm_per_px, "d90_mm": d90 * mm_per_px}
    return Grading(d10_px=round(d10, 2), d50_px=round(d50, 2), d90_px=round(d90, 2), **mm)
