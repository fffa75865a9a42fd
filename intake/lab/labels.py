"""The printed sample-bag label: blind code in large digits and a QR code to the inspection."""
from __future__ import annotations

import io
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from intake.lab.results import SampleInfo

LABEL_PX = (800, 400)   # 100 x 50 mm at 203 dpi, a common thermal label


def render_label(info: SampleInfo, base_url: str) -> Image.Image:
    target = f"{base_url.rstrip('/')}/review/{info.inspection_id}" if info.inspection_id else base_url
    qr = segno.make(target, error="m")
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=8, border=2)
    qr_img = Image.open(io.BytesIO(buf.getvalue())).convert("L").resize((340, 340), Image.Resampling.NEAREST)
    label = Image.new("L", LABEL_PX, 255)
    label.paste(qr_img, (LABEL_PX[0] - 360, 30))
    draw = ImageDraw.Draw(label)
    big, small = ImageFont.load_default(size=64), ImageFont.load_default(size=26)
    code = f"{info.code:08d}"
    draw.text((30, 40), f"{code[:4]} {code[4:]}", font=big, fill=0)
    draw.text((30, 140), f"material: {info.material}", font=small, fill=0)
    draw.text((30, 180), f"taken: {info.taken_at:%Y-%m-%d %H:%M} UTC", font=small, fill=0)
    draw.text((30, 330), "blind sample - no supplier on label", font=small, fill=0)
    return label


def write_label(info: SampleInfo, base_url: str, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    image = render_label(info, base_url)
    png, pdf = out_dir / f"sample-{info.code}.png", out_dir / f"sample-{info.code}.pdf"
    image.save(png)
    image.convert("RGB").save(pdf, "PDF", resolution=203.0)
    return png, pdf
