"""Deck evidence cost: not a test, it prints.

    .venv/bin/python scripts/bench_evidence.py [--width 1920 --height 1080] [--views 4] [--repeat 20]

A real SQLite store (WAL, synchronous=FULL), still-image evidence cameras read by OpenCV, and
the evidence desk: per weighing, every view grabbed at once, watermarked, encoded as JPEG,
written with fsync and recorded in chained rows. Prints the wall time of one weighing's
snapshots (p50, p95), the JPEG size, and what the lane pays: the hand-over call (`submit`).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hardware.camera.capture import Camera  # noqa: E402
from hardware.sim.trucks import DEMO_MIX  # noqa: E402
from intake.config import EvidenceCameraConfig  # noqa: E402
from intake.demo import masterdata  # noqa: E402
from intake.evidence.desk import EvidenceDesk, View, Weighed  # noqa: E402
from intake.store.db import open_engine  # noqa: E402
from intake.store.records import Records  # noqa: E402
from intake.web.localtime import SiteTime  # noqa: E402

VIEWS = ("front", "rear", "top", "cab", "left", "right", "front2", "rear2")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--views", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rng = np.random.default_rng(1)
        views = []
        for name in VIEWS[:args.views]:
            small = rng.integers(0, 255, (args.height // 16, args.width // 16, 3), dtype=np.uint8)
            path = root / f"{name}.jpg"
            cv2.imwrite(str(path), cv2.GaussianBlur(cv2.resize(small, (args.width, args.height)), (9, 9), 0))
            cfg = EvidenceCameraConfig(view=name, source=str(path))
            views.append(View(cfg, Camera(cfg.source, timeout_s=cfg.timeout_s)))
        records = Records(open_engine(f"sqlite:///{root / 'gate.db'}", b"bench-evidence-key-0123456789"))
        masterdata.seed(records.engine, list(DEMO_MIX[:1]))
        adm = records.admit(DEMO_MIX[0].plate, "1")
        assert hasattr(adm, "visit")
        desk = EvidenceDesk(records.engine, root / "data", {"1": views}, SiteTime("Asia/Shanghai"))
        times, sizes = [], []
        for _ in range(args.repeat):
            weighing = records.record_weight(adm.visit, "in", 39_800, "pty")
            began = time.perf_counter()
            rows = asyncio.run(desk.take(Weighed(weighing, adm.visit, "1", "in", adm.plate, 39_800)))
            times.append(time.perf_counter() - began)
            sizes += [r.size_bytes or 0 for r in rows]
            assert not any(r.missing for r in rows), rows

        async def hand_overs() -> float:
            began = time.perf_counter()
            for _ in range(8):   # fills the queue: the lane's cost of a hand-over, nothing taken
                desk.submit(Weighed(1, adm.visit, "1", "in", adm.plate, 39_800))
            return (time.perf_counter() - began) / 8

        submit_s = asyncio.run(hand_overs())
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"{args.views} views at {args.width}x{args.height}, {args.repeat} weighings: "
          f"p50 {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms per weighing; "
          f"JPEG {statistics.mean(sizes) / 1000:.0f} kB a view; hand-over {submit_s * 1e6:.1f} us")


if __name__ == "__main__":
    main()
