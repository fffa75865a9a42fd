"""The simulated deck evidence cameras: one still image per view (front, rear, top, cab, ...)
of whatever stands on the deck, written where `hardware.camera.capture.Camera` reads it.

`show(truck)` draws each view of that truck (its plate, its load seen from above, its cab) and
writes `<view>.jpg` under `root`, each to a temporary name renamed into place, so a reader never
sees half an image; `show(None)` draws the empty deck. The pictures are drawn, not photographed:
enough for a person to tell the views and the trucks apart on the pages.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from hardware.sim.trucks import TruckScenario

SIZE = (360, 640)   # rows, columns
LOAD_COLOURS = {"clean_sand": (120, 180, 215), "clean_gravel": (140, 140, 150), "muddy": (50, 75, 95),
                "foreign": (60, 140, 60), "empty": (70, 70, 75)}   # BGR, as the bed looks from above


class DeckViews:
    def __init__(self, root: Path, views: Sequence[str]) -> None:
        self.root = Path(root)
        self.views = tuple(views)

    def source(self, view: str) -> str:
        """The camera source of one view: the image file it is shown in."""
        return str(self.root / f"{view}.jpg")

    def show(self, truck: TruckScenario | None, loaded: bool = True) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for view in self.views:
            _write_atomic(self.root / f"{view}.jpg", render(view, truck, loaded))


def plate_text(plate: str) -> str:
    """The plate as OpenCV's Latin fonts can draw it (the province character is left off)."""
    return "".join(c for c in plate if c.isascii() and c.isalnum())


def render(view: str, truck: TruckScenario | None, loaded: bool = True) -> np.ndarray:
    """One view of the deck, with `truck` on it (or empty)."""
    seed = sum(map(ord, view + (truck.plate if truck else "")))
    # The deck's concrete with some grain (JPEGs of a flat picture would all look alike).
    img: np.ndarray = np.random.default_rng(seed).integers(95, 113, (*SIZE, 3), dtype=np.uint8)
    cv2.rectangle(img, (0, 0), (SIZE[1], 90), (200, 170, 140), -1)  # the sky beyond
    if truck is not None:
        body = (40 + seed % 60, 60 + seed % 90, 150 + seed % 80)
        if view == "top":
            cv2.rectangle(img, (140, 40), (500, 320), body, -1)
            fill = LOAD_COLOURS.get(truck.load_label if loaded else "empty", (90, 90, 90))
            cv2.rectangle(img, (170, 70), (470, 250), fill, -1)
        elif view == "cab":
            cv2.rectangle(img, (120, 60), (520, 330), body, -1)
            cv2.rectangle(img, (180, 100), (460, 220), (60, 50, 40), -1)   # the windscreen
            cv2.circle(img, (300, 170), 35, (150, 170, 200), -1)           # a driver, or a sack
        else:
            cv2.rectangle(img, (160, 100), (480, 320), body, -1)
            cv2.rectangle(img, (250, 260), (390, 300), (230, 230, 230) if view == "rear" else (40, 200, 230), -1)
            cv2.putText(img, plate_text(truck.plate), (258, 290), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (20, 20, 20), 2)
    cv2.putText(img, view.upper(), (12, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    return img


def _write_atomic(path: Path, img: np.ndarray) -> None:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise ValueError(f"cannot encode {img.shape} as JPEG")
    tmp = path.with_name(f".{path.name}.tmp")
    # No fsync: a simulator on a scratch folder; the rename is what readers need.
    tmp.write_bytes(buf.tobytes())
    os.replace(tmp, path)
