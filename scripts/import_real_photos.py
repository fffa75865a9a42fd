"""Copy the real sediment photos into the repository, downsized, with their series and split.

    python scripts/import_real_photos.py SOURCE_DIR [--out data/real-photos] [--max-side 384]

SOURCE_DIR holds `sand/`, `gravel/`, `index.csv` and `SOURCES.md` (see data/real-photos/SOURCES.md).
The published percentiles are rescaled to the new pixel size. Run once; the committed
`index.csv` is the frozen split every later step reads.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vision.real import VALIDATION_SERIES, series_of  # noqa: E402

FIELDS = ["file", "label", "series", "split", "original", "scale", "p10_px", "p50_px", "p90_px"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("--out", type=Path, default=Path("data/real-photos"))
    ap.add_argument("--max-side", type=int, default=384)
    ap.add_argument("--quality", type=int, default=90)
    args = ap.parse_args()
    rows = []
    with (args.source / "index.csv").open(newline="") as fh:
        for src in csv.DictReader(fh):
            rows.append(_copy(args, src))
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "index.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: r["file"]))
    val = sum(r["split"] == "val" for r in rows)
    print(f"{len(rows)} photos, {val} in validation, into {args.out}")
    return 0


def _copy(args: argparse.Namespace, src: dict[str, str]) -> dict[str, object]:
    image = cv2.imread(str(args.source / src["file"]), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"cannot read {src['file']}")
    factor = min(1.0, args.max_side / max(image.shape[:2]))
    if factor < 1.0:
        size = (round(image.shape[1] * factor), round(image.shape[0] * factor))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    name = Path(src["file"]).stem.replace(".", "_") + ".jpg"
    rel = f"{src['label']}/{name}"
    (args.out / src["label"]).mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out / rel), image, [cv2.IMWRITE_JPEG_QUALITY, args.quality])
    series = series_of(src["label"], name)
    return {
        "file": rel, "label": src["label"], "series": series,
        "split": "val" if series in VALIDATION_SERIES else "train", "original": src["original"],
        "scale": f"{float(src['scale']) * factor:.4f}",
        **{k: f"{float(src[k]) * factor:.1f}" for k in ("p10_px", "p50_px", "p90_px")},
    }


if __name__ == "__main__":
    raise SystemExit(main())
