"""A plan as a picture: bed outline, margin, obstacles (with their clearance) and numbered points.
The truck's front is on the left, as the sampler's coordinates have it (x along the bed)."""
from __future__ import annotations

import cv2
import numpy as np

from intake.sampling.points import Bed, Point, PointSpec

PX_PER_M = 120
PAD = 60
WHITE, BLACK, GREY, LIGHT, RED, BLUE = (255, 255, 255), (30, 30, 30), (150, 150, 150), (225, 225, 225), (40, 40, 200), (200, 90, 20)


def plan_png(bed: Bed, spec: PointSpec, points: tuple[Point, ...], title: str) -> bytes:
    w, h = round(bed.length_m * PX_PER_M) + 2 * PAD, round(bed.width_m * PX_PER_M) + 2 * PAD + 30
    img = np.full((h, w, 3), WHITE, np.uint8)

    def px(x: float, y: float) -> tuple[int, int]:
        return PAD + round(x * PX_PER_M), PAD + 30 + round(y * PX_PER_M)

    m = spec.margin_m
    for o in spec.obstacles:
        x0, y0 = max(0.0, o.x_m - m), max(0.0, o.y_m - m)          # the clearance, inside the bed
        x1, y1 = min(bed.length_m, o.x_m + o.length_m + m), min(bed.width_m, o.y_m + o.width_m + m)
        cv2.rectangle(img, px(x0, y0), px(x1, y1), LIGHT, -1)
        cv2.rectangle(img, px(o.x_m, o.y_m), px(o.x_m + o.length_m, o.y_m + o.width_m), GREY, -1)
    cv2.rectangle(img, px(0, 0), px(bed.length_m, bed.width_m), BLACK, 3)
    cv2.rectangle(img, px(m, m), px(bed.length_m - m, bed.width_m - m), GREY, 1, cv2.LINE_AA)
    sep_px = round(spec.min_separation_m * PX_PER_M / 2)
    for i, (x, y) in enumerate(points, start=1):
        centre = px(x, y)
        if sep_px > 0:
            cv2.circle(img, centre, sep_px, BLUE, 1, cv2.LINE_AA)     # half the separation: circles never overlap
        cv2.circle(img, centre, 7, RED, -1, cv2.LINE_AA)
        cv2.putText(img, str(i), (centre[0] + 9, centre[1] - 9), cv2.FONT_HERSHEY_SIMPLEX, 0.6, RED, 2, cv2.LINE_AA)
    cv2.putText(img, title, (PAD, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.6, BLACK, 1, cv2.LINE_AA)
    cv2.putText(img, "front", (4, PAD + 30 + h // 4), cv2.FONT_HERSHEY_SIMPLEX, 0.45, GREY, 1, cv2.LINE_AA)
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise RuntimeError("could not encode the plan as PNG")
    return buf.tobytes()
