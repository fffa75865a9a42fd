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
    return to_tensor(image_bgr, card)


def to_tensor(image_bgr: np.ndarray, card: ModelCard, out: np.ndarray | None = None) -> np.ndarray:
    """The gate's path: region of interest (a view), one INTER_AREA resize, then BGR->RGB and
    the normalisation fused into one pass per channel straight into the float tensor (no
    RGB copy, no float temporaries). Same numbers as `normalise(prepare(...))`."""
    roi = centre_crop(as_bgr(image_bgr), card.centre_crop)
    if roi.shape[0] < 2 or roi.shape[1] < 2:
        raise ValueError(f"image too small: {image_bgr.shape}")
    small = cv2.resize(roi, (card.width, card.height), interpolation=cv2.INTER_AREA)
    if out is None:
        out = np.empty((1, 3, card.height, card.width), np.float32)
    norm = card.normalisation
    for c in range(3):
        # (x / 255 - mean) / std  ==  x * (1 / (255 std)) - mean / std
        scale = np.float32(1.0 / (255.0 * norm.std[c]))
        np.multiply(small[:, :, 2 - c], scale, out=out[0, c], casting="unsafe")
        out[0, c] -= np.float32(norm.mean[c] / norm.std[c])
    return out


def model_side(card: ModelCard) -> int:
    """Short side of the frame the network input needs: its larger side over the crop share."""
    return int(np.ceil(max(card.height, card.width) / card.centre_crop))


def decode(data: bytes | np.ndarray, need_short: int | None = None) -> np.ndarray:
    """Encoded image bytes -> BGR uint8. With `need_short`, a JPEG whose short side is at least
    4, 8 or 16 times that is decoded at 1/2, 1/4 or 1/8 scale (IMREAD_REDUCED_COLOR_*): the
    decoder then skips most of the inverse DCT, which is most of the cost of a camera frame,
    and the reduced image is a box-filtered one, a proper low-pass for the resize after it."""
    buf = np.frombuffer(data, np.uint8) if isinstance(data, (bytes, bytearray, memoryview)) else data
    flag = cv2.IMREAD_COLOR
    if need_short and buf.size > 2 and buf[0] == 0xFF and buf[1] == 0xD8:
        size = image_size(buf[:65536].tobytes())
        if size is not None:
            flag = _REDUCED.get(reduction(min(size), need_short), cv2.IMREAD_COLOR)
    image = cv2.imdecode(buf, flag) if buf.size else None
    if image is None:
        raise ValueError("cannot decode image")
    return image


_REDUCED = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4, 8: cv2.IMREAD_REDUCED_COLOR_8}


def reduction(short_side: int, need_short: int) -> int:
    """The largest of 1, 2, 4, 8 that keeps `short_side` / factor >= 2 x `need_short`.

    The margin keeps at least two decoded pixels per network pixel for the final INTER_AREA
    resize: at 1/8 a 1080p frame leaves 135 px for a 96 px input, and that uneven resample of
    8x8 block means moved the model's confidence by up to 0.12 against the full decode; with
    the margin (1/4, 270 px) the difference is a few thousandths."""
    for factor in (8, 4, 2):
        if short_side // factor >= 2 * need_short:
            return factor
    return 1


def frame_tensor(data: bytes | np.ndarray, card: ModelCard) -> np.ndarray:
    """Encoded camera frame -> network input: reduced decode, then `to_tensor`."""
    return to_tensor(decode(data, model_side(card)), card)


def preprocess_batch(images_bgr: Sequence[np.ndarray], card: ModelCard) -> np.ndarray:
    """Several BGR images -> (N, 3, H, W) float32, each written in place by `to_tensor`."""
    if not images_bgr:
        raise ValueError("no images")
    out = np.empty((len(images_bgr), 3, card.height, card.width), np.float32)
    for i, image in enumerate(images_bgr):
        to_tensor(image, card, out[i : i + 1])
    return out


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

    `max_side` is the short side the caller needs (e.g. `model_side(card)`): a much larger
    JPEG is decoded at reduced scale (see `decode`), keeping its short side >= 2 x max_side.
    """
    path = Path(path)
    data = np.fromfile(str(path), dtype=np.uint8)
    try:
        return decode(data, max_side)
    except ValueError:
        raise ValueError(f"cannot read image {path}") from None


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
