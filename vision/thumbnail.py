"""A small JPEG of a sample photo, for lists: the long side at most `side` pixels."""
from __future__ import annotations

import cv2
import numpy as np

from vision.preprocess import decode

THUMB_SIDE = 128
JPEG_QUALITY = 80


def thumbnail(data: bytes, side: int = THUMB_SIDE) -> bytes:
    """Encoded image bytes -> JPEG bytes no larger than side x side; ValueError if undecodable."""
    image = decode(data, need_short=side)
    h, w = image.shape[:2]
    scale = min(1.0, side / max(h, w))
    if scale < 1.0:
        image = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(image), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("cannot encode thumbnail")
    return bytes(buf.tobytes())
