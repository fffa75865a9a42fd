"""PNG of a verification: error against load, with the MPE envelope. Drawn with Pillow (already
a dependency) so the CLI pulls in no plotting stack."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageDraw

from hardware.scale.verification import AccuracyClass, StepResult, mpe_kg

W, H, PAD = 900, 560, 70
_COLOURS = {"zero": (90, 90, 90), "rising": (31, 119, 180), "falling": (255, 127, 14),
            "eccentric": (148, 103, 189)}


def plot_errors(results: list[StepResult], max_kg: Decimal, e: Decimal, cls: AccuracyClass,
                in_service: bool, out: Path, title: str) -> None:
    errors = [abs(r.error) for r in results if r.error is not None]
    limit = float(max([mpe_kg(max_kg, e, cls, in_service=in_service) * Decimal("1.6"), *errors]))
    img = Image.new("RGB", (W, H), "white")
    draw = ImageDraw.Draw(img)

    def xy(load: float, err: float) -> tuple[float, float]:
        x = PAD + (W - 2 * PAD) * load / float(max_kg)
        y = H / 2 - (H / 2 - PAD) * err / limit
        return x, y

    draw.rectangle([PAD, PAD, W - PAD, H - PAD], outline="black")
    draw.line([xy(0, 0), xy(float(max_kg), 0)], fill=(180, 180, 180))
    _envelope(draw, xy, max_kg, e, cls, in_service)
    for r in results:
        if r.error is None:
            continue
        x, y = xy(float(r.step.load), float(r.error))
        colour = _COLOURS[r.step.kind]
        if r.passed:
            draw.ellipse([x - 5, y - 5, x + 5, y + 5], fill=colour)
        else:
            draw.line([x - 6, y - 6, x + 6, y + 6], fill=(214, 39, 40), width=3)
            draw.line([x - 6, y + 6, x + 6, y - 6], fill=(214, 39, 40), width=3)
    draw.text((PAD, 20), title, fill="black")
    draw.text((PAD, H - PAD + 10), "0 kg", fill="black")
    draw.text((W - PAD - 60, H - PAD + 10), f"{max_kg} kg", fill="black")
    draw.text((8, PAD - 5), f"+{limit:g} kg", fill="black")
    draw.text((8, H - PAD - 5), f"-{limit:g} kg", fill="black")
    legend = "  ".join(f"{k}" for k in _COLOURS) + "   red x = outside MPE   red line = MPE"
    draw.text((PAD, H - 30), legend, fill="black")
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out, format="PNG")


def _envelope(draw: ImageDraw.ImageDraw, xy, max_kg: Decimal, e: Decimal, cls: AccuracyClass,
              in_service: bool) -> None:
    """The ±MPE step function across 0..Max, one segment per band."""
    steps = 400
    for sign in (1, -1):
        points = []
        for i in range(steps + 1):
            load = max_kg * i / steps
            points.append(xy(float(load), sign * float(mpe_kg(load, e, cls, in_service=in_service))))
        draw.line(points, fill=(214, 39, 40), width=2)
