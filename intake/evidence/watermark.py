"""The watermark burnt into each deck snapshot: plate, weight, local time, lane and view.

Pure image work (no device, no store). The text is drawn with Pillow in a CJK font when the
machine has one (plates carry a Chinese province character); without one, Pillow's own font
draws the Latin part and the record still holds the plate in full.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Where Debian/Ubuntu put the CJK fonts (fonts-noto-cjk, fonts-wqy-microhei, fonts-arphic).
CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
)
KIND_WORDS = {"in": "进场 IN", "out": "出场 OUT"}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def caption(plate: str, weight_kg: int, local_time: str, lane: str, view: str, kind: str) -> list[str]:
    """The watermark's two lines, Chinese first with English beside."""
    return [f"{plate}  {weight_kg:,} kg  {KIND_WORDS.get(kind, kind)}",
            f"{local_time}  车道 lane {lane}  视角 view {view}"]


@lru_cache(maxsize=8)
def font(size: int) -> Font:
    for path in CJK_FONTS:
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def stamp(image_bgr: np.ndarray, lines: list[str]) -> np.ndarray:
    """A copy of the image with `lines` on a dark band across its bottom; same size."""
    height, width = image_bgr.shape[:2]
    if height < 1 or width < 1:
        raise ValueError("empty image")
    size = max(12, height // 28)
    face = font(size)
    band = int(size * 1.35 * len(lines) + size * 0.6)
    out = image_bgr.copy()
    top = max(0, height - band)
    # Only the band goes through Pillow (a full 1920x1080 frame both ways costs tens of ms), and
    # it is darkened rather than painted: the scene under the text stays visible.
    strip = (out[top:].astype(np.uint16) * 2 // 7).astype(np.uint8)
    pil = Image.fromarray(cv2.cvtColor(strip, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(pil)
    y = size * 0.3
    for line in lines:
        draw.text((size * 0.5, y), line, font=face, fill=(255, 255, 255))
        y += size * 1.35
    out[top:] = cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)
    return out
