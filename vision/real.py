"""Real photographs committed under `data/real-photos/`: their series, the frozen split, loading.

Consecutive photos of one site or camera look alike, so the split is by series, never by
photo: a random split would leak near-copies into validation. `series_of` names the series
from the file name; the split itself is frozen in the committed `index.csv` (column `split`),
written once by `scripts/import_real_photos.py` from `VALIDATION_SERIES`.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vision.preprocess import load_image

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "real-photos"
LABEL_OF = {"sand": "clean_sand", "gravel": "clean_gravel"}  # folder -> model label

# Held out whole: a close-up camera of sand samples, two blocks of the numbered beach sands,
# and three gravel series. Chosen by name before any model saw them; never trained on.
VALIDATION_SERIES = frozenset({"sand:cu", "sand:n23", "sand:n27", "gravel:seriesC2", "gravel:tram4", "gravel:IMG_93"})

_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^\d{4}_cu_\d$", "cu"),  # one close-up camera, two shots per sample
    (r".*(makro|mak\b|_mak\.|close-up|^im$)", "makro"),  # hand-held macro shots, many sites
    (r"^IMG\d{4}$", "IMG03"),
    (r"^Image_\d+", "Image"),
    (r"^cs__\d+$", "cs"),
    (r"^seriesC\d_endrun", "seriesC2"),
    (r"^tram\d", "tram4"),
    (r"^IMG_2016", "IMG_2016"),
    (r"^IMG_93", "IMG_93"),
    (r"^DGS_", "DGS"),
)


def series_of(label: str, file_name: str) -> str:
    """`label:series` for a photo: the name family, and for the numbered beach sands the block
    of 100 numbers (a 5-digit name such as 14091 is a re-shot of 1409)."""
    stem = Path(file_name).stem
    for pattern, name in _PATTERNS:
        if re.search(pattern, stem, flags=re.IGNORECASE):
            return f"{label}:{name}"
    digits = re.match(r"^(\d+)(?:_\d+)?$", stem)
    if digits:
        number = int(digits.group(1))
        if number >= 10000:
            number //= 10
        return f"{label}:n{number // 100}"
    return f"{label}:other"


@dataclass(frozen=True)
class RealPhoto:
    path: Path
    label: str  # model label: clean_sand or clean_gravel
    series: str
    split: str  # "train" or "val"
    p10_px: float  # published percentiles, in pixels of the committed file
    p50_px: float
    p90_px: float


def read_index(data_dir: Path = DATA_DIR) -> list[RealPhoto]:
    with (data_dir / "index.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        RealPhoto(data_dir / r["file"], LABEL_OF[r["label"]], r["series"], r["split"],
                  float(r["p10_px"]), float(r["p50_px"]), float(r["p90_px"]))
        for r in rows
    ]


def photos(split: str, data_dir: Path = DATA_DIR) -> list[RealPhoto]:
    return [p for p in read_index(data_dir) if p.split == split]


def load(photo: RealPhoto) -> np.ndarray:
    return load_image(photo.path)
