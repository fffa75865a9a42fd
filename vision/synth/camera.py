"""The camera between the scene and the file: lighting, shadows, optics, sensor, compression.

Kept mild enough that a normal synthetic frame passes the frame-quality gate; the gate's
tests make truly bad frames (heavy blur, black, blown out) themselves.
"""
from __future__ import annotations

import cv2
import numpy as np

from vision.synth.noise import F32, grid, normal, random_polygon
from vision.synth.scene import Scene


def apply_camera(img: np.ndarray, scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """Float BGR scene radiance -> uint8 BGR photo."""
    img = _auto_exposure(img * _illumination(scene, rng))
    if rng.random() < 0.35:
        img = img * _shadow(scene, rng)[..., None]
    img = _optics(img, scene, rng)
    sigma = rng.uniform(*scene.variation.noise_sigma)
    # Sensor noise is mostly luminance, with a little chroma.
    luma = normal(rng, (scene.size, scene.size, 1)) * F32(sigma)
    img = img + luma + normal(rng, img.shape) * F32(sigma * 0.3)
    out = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(*scene.variation.jpeg_quality))])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    # The camera looks straight down: any quarter turn or mirror image is as plausible.
    out = np.rot90(out, int(rng.integers(4)))
    if rng.random() < 0.5:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def _auto_exposure(img: np.ndarray) -> np.ndarray:
    """Like a camera's auto exposure: keep highlights below clipping and the mean off the floor.

    Without it a white tray under strong light is a blown-out frame, which the quality gate
    rightly rejects; such frames belong in the quality tests, not in the training set.
    """
    probe = img[::4, ::4]
    peak = float(np.percentile(probe, 99.5))
    mean = float(probe.mean())
    gain = 1.0
    if peak > 240.0:
        gain = 240.0 / peak
    elif mean < 60.0:
        gain = min(60.0 / max(mean, 1.0), 240.0 / max(peak, 1.0))
    return img * F32(gain) if gain != 1.0 else img


def _illumination(scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """Exposure x colour cast x linear gradient x vignette, as one (H, W, 3) gain."""
    xs, ys = grid(scene.size)
    half = scene.size / 2
    nx, ny = (xs - half) / half, (ys - half) / half
    slope = rng.uniform(0.0, 0.3)
    gradient = 1.0 + slope * (nx * scene.light[0] + ny * scene.light[1])
    vignette = 1.0 - rng.uniform(0.0, 0.25) * (nx * nx + ny * ny) / 2
    exposure = rng.uniform(*scene.variation.exposure)
    warmth = rng.uniform(-scene.variation.warmth, scene.variation.warmth)  # < 0 cool (blue) light, > 0 warm (tungsten)
    cast = np.array([1 - warmth, 1.0, 1 + warmth], F32) * rng.uniform(0.95, 1.05, 3).astype(F32)
    return (exposure * gradient * vignette)[..., None].astype(F32) * cast


def _shadow(scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """A soft shadow (of the sampler arm or the operator) drawn small and scaled up."""
    small = max(8, scene.size // 4)
    mask = np.zeros((small, small), F32)
    centre = tuple(rng.uniform(0, small, 2))
    cv2.fillPoly(mask, [random_polygon(rng, centre, small * rng.uniform(0.3, 0.7), 5, 0.4)], 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), small * 0.05 + 0.5)
    mask = cv2.resize(mask, (scene.size, scene.size), interpolation=cv2.INTER_LINEAR)
    return 1.0 - F32(rng.uniform(0.2, 0.5)) * mask


def _optics(img: np.ndarray, scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """Mild defocus or motion blur, scaled to the image size."""
    roll = rng.random()
    scale = scene.size / 256.0
    if roll < 0.3:
        return cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 0.9) * scale)
    if roll < 0.4:
        length = max(2, int(rng.integers(2, 4) * scale))
        kernel = np.zeros((length, length), F32)
        kernel[length // 2, :] = 1.0 / length
        centre = (length / 2 - 0.5, length / 2 - 0.5)
        rot = cv2.getRotationMatrix2D(centre, float(rng.uniform(0, 180)), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (length, length))
        return cv2.filter2D(img, -1, kernel / max(float(kernel.sum()), 1e-6))
    return img
