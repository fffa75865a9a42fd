"""Frame -> verdict time: not a test, it prints. Part of `make bench`.

    .venv/bin/python scripts/bench_frame.py [--width 1920 --height 1080] [--repeat 60]

From one encoded camera frame (JPEG bytes, camera resolution) to a verdict, four ways:
- ours (JPEG):   decode at 1/2, 1/4 or 1/8 scale (chosen from the network input and the region
                 of interest), ROI view, one resize, fused normalisation, session.run,
                 aggregation, material rules;
- ours (array):  the same from an already decoded frame (what the gate's camera hands over);
- naive:         full decode, ROI, resize, BGR->RGB copy, float temporaries, transpose, run,
                 same rules;
- bare run:      onnxruntime session.run on a ready tensor, nothing else.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.config import load_config  # noqa: E402
from vision.judging import Evidence, judge  # noqa: E402
from vision.aggregate import aggregate  # noqa: E402
from vision.classifier import OnnxClassifier  # noqa: E402
from vision.preprocess import centre_crop, decode, frame_tensor, model_side, reduction, to_tensor  # noqa: E402
from vision.synth import generate  # noqa: E402

console = Console()


def camera_frame(width: int, height: int, quality: int = 90) -> bytes:
    """A tray photo at camera resolution, with sensor noise so the JPEG is frame-sized."""
    tray = generate("clean_sand", np.random.default_rng(5), size=512)
    frame = cv2.resize(tray, (width, height), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    frame += np.random.default_rng(6).normal(0, 6, frame.shape).astype(np.int16)
    ok, buf = cv2.imencode(".jpg", np.clip(frame, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def naive_tensor(data: bytes, card) -> np.ndarray:
    """The textbook path: every step makes its own full-size or float copy."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    roi = centre_crop(image, card.centre_crop)
    rgb = cv2.cvtColor(cv2.resize(roi, (card.width, card.height), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
    x = rgb.astype(np.float32) / 255.0
    x = (x - np.array(card.normalisation.mean, np.float32)) / np.array(card.normalisation.std, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))[None]


def verdict(clf: OnnxClassifier, rule, tensor: np.ndarray) -> str:
    """Run, aggregate (one frame), judge: the same tail for every path."""
    preds = clf._predict(tensor)
    agg = aggregate(preds)
    ev = Evidence(agg.label, float(agg.confidence), frames_agree=bool(agg.agree),
                  frames=tuple((p.label, float(p.confidence)) for p in preds), ood=any(p.ood for p in preds))
    return judge(rule, ev, clf.card.abstain_confidence).verdict


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, p90) seconds per call after three warm-up calls."""
    for _ in range(3):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return statistics.median(samples), samples[int(0.9 * (len(samples) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "intake-classifier" / "model.onnx")
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--repeat", type=int, default=60)
    args = ap.parse_args()

    clf = OnnxClassifier.load(args.model)
    card, session = clf.card, clf._session  # the raw onnxruntime session, as the floor
    rule = load_config(ROOT / "intake" / "demo" / "demo.toml").materials["sand"]
    data = camera_frame(args.width, args.height)
    decoded = decode(data)
    ready = frame_tensor(data, card)
    factor = reduction(min(args.width, args.height), model_side(card))
    paths: list[tuple[str, Callable[[], object]]] = [
        (f"ours: JPEG, decode 1/{factor}", lambda: verdict(clf, rule, frame_tensor(data, card))),
        ("ours: decoded frame", lambda: verdict(clf, rule, to_tensor(decoded, card))),
        ("naive: full decode", lambda: verdict(clf, rule, naive_tensor(data, card))),
        ("bare session.run", lambda: session.run(None, {card.input_name: ready})),
    ]
    results = [(name, *timed(fn, args.repeat)) for name, fn in paths]
    ours = results[0][1]
    table = Table(title=f"frame -> verdict, {args.width}x{args.height} JPEG ({len(data) / 1e6:.2f} MB), "
                        f"model input {card.width}x{card.height}")
    for col in ("path", "median ms", "p90 ms", "x ours (JPEG)"):
        table.add_column(col)
    for name, median, p90 in results:
        table.add_row(name, f"{median * 1e3:.2f}", f"{p90 * 1e3:.2f}", f"{median / ours:.2f}x")
    console.print(table)
    diff = float(np.abs(frame_tensor(data, card) - naive_tensor(data, card)).mean())
    console.print(f"mean |ours - naive| over the input tensor: {diff:.4f} (normalised units); "
                  f"verdicts: ours {verdict(clf, rule, ready)}, naive {verdict(clf, rule, naive_tensor(data, card))}")


if __name__ == "__main__":
    main()
