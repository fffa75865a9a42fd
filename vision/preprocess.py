"""Image -> network input, exactly as the model card says. Pure functions, no model needed.

Training uses `prepare` + `normalise` too, so the network sees the same pixels in training
and at the gate.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from vision.model_card import ModelCard, Normalisation


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Accept grey, BGR or BGRA uint8; return 3-channel BGR. Anything else is a ValueError."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError("image must be a uint8 numpy array")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    raise ValueError(f"image must be HxW, HxWx3 or HxWx4, got shape {image.shape}")


def centre_crop(image: np.ndarray, fraction: float = 1.0) -> np.ndarray:
    """The centred square whose side is `fraction` of the short side (a view, no copy)."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError("crop fraction must be in (0, 1]")
    h, w = image.shape[:2]
    side = max(1, int(round(min(h, w) * fraction)))
    top, left = (h - side) // 2, (w - side) // 2
    return image[top : top + side, left : left + side]


def prepare(image_bgr: np.ndarray, height: int, width: int, crop: float = 1.0) -> np.ndarray:
    """Crop, resize (one INTER_AREA pass) and convert to RGB: (height, width, 3) uint8."""
    roi = centre_crop(as_bgr(image_bgr), crop)
    if roi.shape[0] < 2 or roi.shape[1] < 2:
        raise ValueError(f"image too small: {image_bgr.shape}")
    # INTER_AREA averages the source pixels, the right filter when shrinking a photo.
    small = cv2.resize(roi, (width, height), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2RGB)


def normalise(rgb: np.ndarray, norm: Normalisation) -> np.ndarray:
    """(..., H, W, 3) uint8 RGB -> (..., 3, H, W) float32, (x / 255 - mean) / std."""
    mean = np.asarray(norm.mean, np.float32)
    inv_std = 1.0 / np.asarray(norm.std, np.float32)
    scaled = (rgb.astype(np.float32) * np.float32(1.0 / 255.0) - mean) * inv_std
    return np.ascontiguousarray(np.moveaxis(scaled, -1, -3))


def preprocess(image_bgr: np.ndarray, card: ModelCard) -> np.ndarray:
    """One BGR image -> (1, 3, H, W) float32 tensor for the model described by `card`."""
    rgb = prepare(image_bgr, card.height, card.width, card.centre_crop)
    return normalise(rgb, card.normalisation)[None]


def preprocess_batch(images_bgr: Sequence[np.ndarray], card: ModelCard) -> np.ndarray:
    """Several BGR images -> (N, 3, H, W) float32."""
    if not images_bgr:
        raise ValueError("no images")
    rgb = np.stack([prepare(im, card.height, card.width, card.centre_crop) for im in images_bgr])
    return normalise(rgb, card.normalisation)


def tiles(image: np.ndarray, grid: int = 2, side: float = 0.6) -> list[np.ndarray]:
    """The whole frame, then `grid` x `grid` overlapping square tiles (views, no copies).

    Each tile's side is `side` of the frame's short side, spread evenly from edge to edge, so
    with the defaults four tiles overlap by a fifth and cover every pixel of the centred square.
    """
    image = as_bgr(image)
    if grid < 1 or not 0.0 < side <= 1.0:
        raise ValueError("grid must be >= 1 and side in (0, 1]")
    h, w = image.shape[:2]
    tile = max(2, int(round(min(h, w) * side)))
    ys = np.linspace(0, h - tile, grid).round().astype(int) if grid > 1 else [(h - tile) // 2]
    xs = np.linspace(0, w - tile, grid).round().astype(int) if grid > 1 else [(w - tile) // 2]
    return [image, *(image[y : y + tile, x : x + tile] for y in ys for x in xs)]


def load_image(path: Path, max_side: int | None = None) -> np.ndarray:
    """Read an image file as BGR uint8.

    `max_side` is the largest side the caller will use (e.g. the network input). When the
    picture is much larger, it is decoded at 1/2 or 1/4 scale (IMREAD_REDUCED_COLOR_*),
    keeping its short side >= max_side: JPEG decode of a full HD frame costs more than the
    classifier itself, and the reduced decode is also a proper low-pass filter.
    """
    path = Path(path)
    data = np.fromfile(str(path), dtype=np.uint8)
    flag = cv2.IMREAD_COLOR
    size = image_size(data[:65536].tobytes()) if max_side else None
    if size is not None and max_side:
        short = min(size)
        if short >= 4 * max_side:
            flag = cv2.IMREAD_REDUCED_COLOR_4
        elif short >= 2 * max_side:
            flag = cv2.IMREAD_REDUCED_COLOR_2
    image = cv2.imdecode(data, flag) if data.size else None
    if image is None:
        raise ValueError(f"cannot read image {path}")
    return image


def image_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG or JPEG header, or None when unknown (then decode fully)."""
    if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) >= 24:
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if head[:2] != b"\xff\xd8":
        return None
    pos = 2
    while pos + 9 < len(head):
        if head[pos] != 0xFF:
            return None
        marker = head[pos + 1]
        length = int.from_bytes(head[pos + 2 : pos + 4], "big")
        # SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(head[pos + 5 : pos + 7], "big")
            width = int.from_bytes(head[pos + 7 : pos + 9], "big")
            return width, height
        pos += 2 + length
    return None
