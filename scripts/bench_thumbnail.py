"""Queue thumbnail time: not a test, it prints. From a stored sample photo's bytes (PNG, as the
gate records them, and JPEG) to the queue's 128 px JPEG (vision.thumbnail), cold: what a queue
row costs the first time; later views of it are served from memory (intake.web.frames).

    .venv/bin/python scripts/bench_thumbnail.py [--width 1920 --height 1080] [--repeat 20]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vision.synth.alt import draw  # noqa: E402
from vision.thumbnail import thumbnail  # noqa: E402


def photo(width: int, height: int) -> np.ndarray:
    """A generated tray photo at camera size (texture like the real ones, so PNG sizes are too)."""
    tray = draw("clean_gravel", np.random.default_rng(1), size=min(width, height))
    return cv2.resize(tray, (width, height), interpolation=cv2.INTER_LINEAR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    image = photo(args.width, args.height)
    for name, ext in (("PNG", ".png"), ("JPEG", ".jpg")):
        ok, buf = cv2.imencode(ext, image)
        assert ok
        data = buf.tobytes()
        times = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            small = thumbnail(data)
            times.append((time.perf_counter() - began) * 1000)
        print(f"{name} {args.width}x{args.height} ({len(data) / 1e6:.1f} MB) -> {len(small) / 1e3:.1f} kB thumbnail: "
              f"p50 {statistics.median(times):.1f} ms, max {max(times):.1f} ms")


if __name__ == "__main__":
    main()
