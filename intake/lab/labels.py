"""The printed sample-bag label: blind code in large digits, a QR code to the inspection (at the
gate's configured public address), and the words in Chinese first with English beside, the time
in the plant's zone. The lab reads it; the supplier's name is never on it."""
from __future__ import annotations

import io
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from PIL import Image, ImageDraw, ImageFont

from intake.lab.results import SampleInfo

log = logging.getLogger(__name__)
LABEL_PX = (800, 400)   # 100 x 50 mm at 203 dpi, a common thermal label
# Where Debian's fonts-noto-cjk puts its fonts (installed with the kiosk's browser).
CJK_FONTS = (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
             Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"))
MATERIALS = {"sand": "砂", "gravel": "碎石"}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _font(size: int) -> tuple[Font, bool]:
    """A font that draws Chinese, and whether it does (without one the label is English only)."""
    for path in CJK_FONTS:
        if path.exists():
            return ImageFont.truetype(str(path), size), True
    return ImageFont.load_default(size=size), False


def label_lines(info: SampleInfo, tz: str, chinese: bool) -> list[str]:
    taken = info.taken_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %z")
    zh = MATERIALS.get(info.material, info.material)
    if not chinese:
        return [f"material: {info.material}", f"taken: {taken}", "blind sample - no supplier on label"]
    return [f"物料 Material: {zh} {info.material}", f"取样 Taken: {taken}", "盲样 标签上无供应商 / Blind sample"]


def render_label(info: SampleInfo, base_url: str, tz: str = "UTC") -> Image.Image:
    target = f"{base_url.rstrip('/')}/review/{info.inspection_id}" if info.inspection_id else base_url
    qr = segno.make(target, error="m")
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=8, border=2)
    qr_img = Image.open(io.BytesIO(buf.getvalue())).convert("L").resize((340, 340), Image.Resampling.NEAREST)
    label = Image.new("L", LABEL_PX, 255)
    label.paste(qr_img, (LABEL_PX[0] - 360, 30))
    draw = ImageDraw.Draw(label)
    big, _ = _font(64)
    small, chinese = _font(24)
    if not chinese:
        log.warning("no CJK font (apt install fonts-noto-cjk): the label is printed in English only")
    code = f"{info.code:08d}"
    draw.text((30, 40), f"{code[:4]} {code[4:]}", font=big, fill=0)
    first, second, last = label_lines(info, tz, chinese)
    draw.text((30, 140), first, font=small, fill=0)
    draw.text((30, 180), second, font=small, fill=0)
    draw.text((30, 330), last, font=small, fill=0)
    return label


def write_label(info: SampleInfo, base_url: str, out_dir: Path, tz: str = "UTC") -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    image = render_label(info, base_url, tz)
    png, pdf = out_dir / f"sample-{info.code}.png", out_dir / f"sample-{info.code}.pdf"
    image.save(png)
    image.convert("RGB").save(pdf, "PDF", resolution=203.0)
    return png, pdf
