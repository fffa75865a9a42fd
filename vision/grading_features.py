"""Texture features of a packed surface, every one a length in pixels, for `vision.grading`.

Two published measures of grain size that need no separated grains, both from one power
spectrum of the image's rows and one of its columns (Wiener-Khinchin and Parseval: no inverse
transform per scale):

- the Morlet wavelet spectrum of Buscombe (2013): the power at geometrically spaced scales,
  divided by the scale (Liu et al. 2007), read as a size distribution; its percentiles;
- the autocorrelation curve of Rubin (2004): how far apart two pixels must be before their
  grey levels stop resembling each other; the lags at which it falls to fixed levels;
- and, from the grey levels themselves, an edge-density length: the standardised image's
  contrast over its mean gradient (Sobel), at 1, 1/2 and 1/4 resolution. The more grain
  boundaries per area, the shorter it is.

Each feature scales with the picture: draw the same bed twice as large and every feature
doubles (up to the pixel grid and the frame's size). `vision.grading` fits its regressor in
log space on that property.
"""
from __future__ import annotations

import cv2
import numpy as np

from vision.preprocess import as_bgr

OMEGA0 = 6.0  # Morlet centre frequency; the usual choice, admissible in practice
FOURIER = 4 * np.pi / (OMEGA0 + np.sqrt(2 + OMEGA0**2))  # scale -> equivalent wavelength (Torrence & Compo 1998)
N_SCALES = 40
SPECTRUM_QUANTILES = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
AC_LEVELS = (0.8, 0.6, 0.5, 0.4, 0.3, 0.2)
EDGE_STEPS = (1, 2, 4)
FEATURE_NAMES = tuple([f"wavelet_q{round(q * 100):02d}" for q in SPECTRUM_QUANTILES]
                      + [f"autocorr_{round(level * 100):02d}" for level in AC_LEVELS]
                      + [f"edge_{k}" for k in EDGE_STEPS])
MIN_SIDE = 32


def grey(image: np.ndarray) -> np.ndarray:
    """Standardised grey levels (float32); refuses an image too small to grade."""
    g = cv2.cvtColor(as_bgr(image), cv2.COLOR_BGR2GRAY).astype(np.float32)
    if min(g.shape) < MIN_SIDE:
        raise ValueError(f"image too small to grade: {g.shape}")
    if not float(g.std()) > 0.5:   # grey levels out of 255: no texture to measure
        raise ValueError("image has no texture to grade (flat)")
    out: np.ndarray = (g - g.mean()) / float(g.std())
    return out


def line_spectrum(lines: np.ndarray) -> np.ndarray:
    """Mean power spectrum of every (Hann-windowed) line, one-sided, with each bin counted
    as often as it appears in the full spectrum, so sums equal mean squares (Parseval)."""
    n = lines.shape[1]
    windowed = np.ascontiguousarray(lines * np.hanning(n).astype(np.float32))
    spec = cv2.dft(windowed, flags=cv2.DFT_ROWS | cv2.DFT_COMPLEX_OUTPUT)[:, : n // 2 + 1]
    power = cv2.reduce(cv2.magnitude(spec[..., 0].copy(), spec[..., 1].copy()) ** 2, 0, cv2.REDUCE_AVG)[0].astype(np.float64)
    weight = np.full(power.shape, 2.0)
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0
    out: np.ndarray = power * weight / float(n) ** 2
    return out


def wavelet_power(power: np.ndarray, n: int, scales: np.ndarray) -> np.ndarray:
    """Mean Morlet wavelet power of the lines at each scale, from their power spectrum."""
    omega = 2 * np.pi * np.fft.rfftfreq(n)
    daughter = np.exp(-((scales[:, None] * omega[None, :] - OMEGA0) ** 2)) * scales[:, None]  # |psi|^2
    out: np.ndarray = daughter @ power
    return out


def spectra(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row power, row length, column power, column length) of the standardised image."""
    g = grey(image)
    return line_spectrum(g), np.array(g.shape[1]), line_spectrum(cv2.transpose(g)), np.array(g.shape[0])


def wavelet_density(rows: np.ndarray, n_rows: int, cols: np.ndarray, n_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """(wavelengths in px, normalised rectified density) of rows and columns together."""
    short = min(n_rows, n_cols)
    # Up to wavelengths near the short side: macro photos show grains a third of the frame wide.
    scales = np.geomspace(1.0, short / (1.2 * FOURIER), N_SCALES)
    power = wavelet_power(rows, n_rows, scales) + wavelet_power(cols, n_cols, scales)
    density = power / scales  # rectified spectrum (Liu et al. 2007)
    return scales * FOURIER, density / density.sum()


def quantiles(wavelengths: np.ndarray, density: np.ndarray, qs: tuple[float, ...]) -> np.ndarray:
    cdf = np.cumsum(density)
    out: np.ndarray = np.exp(np.interp(qs, cdf, np.log(wavelengths)))
    return out


def autocorrelation(rows: np.ndarray, n_rows: int, cols: np.ndarray, n_cols: int) -> np.ndarray:
    """Mean autocorrelation of rows and columns at lags 0 .. half the short side."""
    half = min(n_rows, n_cols) // 2
    curves = []
    for power, n in ((rows, n_rows), (cols, n_cols)):
        ac = np.fft.irfft(power, n)[: half + 1]
        curves.append(ac / ac[0])
    out: np.ndarray = (curves[0] + curves[1]) / 2
    return out


def fall_lags(curve: np.ndarray, levels: tuple[float, ...]) -> np.ndarray:
    """The lag (px, interpolated) at which the curve first falls to each level; the last lag
    when it never does."""
    out = np.empty(len(levels))
    for i, level in enumerate(levels):
        below = np.flatnonzero(curve <= level)
        if len(below) == 0 or below[0] == 0:
            out[i] = float(len(curve) - 1) if len(below) == 0 else 0.5
            continue
        j = int(below[0])
        a, b = curve[j - 1], curve[j]
        out[i] = j - 1 + (a - level) / (a - b) if a != b else float(j)
    return np.maximum(out, 0.5)


def edge_lengths(g: np.ndarray) -> np.ndarray:
    """Contrast over mean gradient magnitude, px, at each step of EDGE_STEPS."""
    out = []
    for k in EDGE_STEPS:
        small = g if k == 1 else cv2.resize(g, None, fx=1 / k, fy=1 / k, interpolation=cv2.INTER_AREA)
        gx, gy = cv2.Sobel(small, cv2.CV_32F, 1, 0), cv2.Sobel(small, cv2.CV_32F, 0, 1)
        out.append(k * float(small.std()) / (float(np.mean(cv2.magnitude(gx, gy))) + 1e-9))
    return np.array(out)


def features(image: np.ndarray) -> np.ndarray:
    """Every feature of FEATURE_NAMES, in px (positive)."""
    g = grey(image)
    rows, cols = line_spectrum(g), line_spectrum(cv2.transpose(g))
    n_rows, n_cols = g.shape[1], g.shape[0]
    wl, density = wavelet_density(rows, n_rows, cols, n_cols)
    ac = autocorrelation(rows, n_rows, cols, n_cols)
    return np.concatenate([quantiles(wl, density, SPECTRUM_QUANTILES), fall_lags(ac, AC_LEVELS), edge_lengths(g)])
