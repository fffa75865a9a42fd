"""Held-out figures of a model at the gate: not a test, it prints (and writes --json).

    .venv/bin/python scripts/bench_vision.py [--model models/intake-classifier/model.onnx]
        [--per-label 200] [--seed 1007] [--variation shifted] [--ood-per-kind 30]

The held-out set is made with the `shifted` generator ranges and a seed no training split
uses; the OOD set is seven kinds of non-tray pictures. For each of whole-frame and tiled
inference it prints accuracy, ECE, false-pass rate (by the demo material rules), abstention,
OOD -> REVIEW, and the classifier time per frame.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vision.classifier import OnnxClassifier  # noqa: E402
from vision.evaluation import gate_metrics  # noqa: E402
from vision.model_card import LABELS  # noqa: E402
from vision.synth.ood import ood_set  # noqa: E402
from vision.train.data import photo_split  # noqa: E402

console = Console(stderr=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "intake-classifier" / "model.onnx")
    ap.add_argument("--per-label", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1007)
    ap.add_argument("--variation", default="shifted")
    ap.add_argument("--ood-per-kind", type=int, default=30)
    ap.add_argument("--ood-seed", type=int, default=2007)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    args = ap.parse_args()

    classifier = OnnxClassifier.load(args.model)
    console.print(f"generating {args.per_label}/label ('{args.variation}', seed {args.seed}) "
                  f"and {args.ood_per_kind} x 7 OOD pictures (seed {args.ood_seed})")
    images, y = photo_split(args.per_label, args.seed, 256, args.variation)
    ood = [image for _, image in ood_set(args.ood_per_kind, args.ood_seed)]
    preds, ood_preds, seconds = [], [], []
    with Progress(console=console) as progress:
        task = progress.add_task("classifying (whole frame + 4 tiles)", total=len(images) + len(ood))
        for image in [*images, *ood]:
            start = time.perf_counter()
            result = classifier.classify_tiles(image)
            seconds.append(time.perf_counter() - start)
            (preds if len(preds) < len(images) else ood_preds).append(result)
            progress.advance(task)
    name = f"{args.variation}, seed {args.seed}"
    rows = [gate_metrics(name, preds, y, LABELS, classifier.card.abstain_confidence, tiles=t, ood_preds=ood_preds)
            for t in (False, True)]
    _table(rows, float(np.median(seconds)), args.model, args.json)
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in rows]))


def _table(rows: list, median_s: float, model: Path, as_json: bool) -> None:
    table = Table(title=f"{model.name}: held-out gate figures ({rows[0].dataset}, n={rows[0].n})")
    table.add_column("figure")
    for r in rows:
        table.add_column("whole + tiles" if r.tiles else "whole frame", justify="right")
    for label, get in (
        ("accuracy (whole frame)", lambda r: f"{r.accuracy:.3f}"),
        ("coverage (confident, familiar frames)", lambda r: f"{r.coverage:.3f}"),
        ("selective accuracy (covered frames)", lambda r: f"{r.selective_accuracy:.3f}"),
        ("ECE", lambda r: f"{r.ece:.4f}"),
        ("false-pass rate", lambda r: f"{r.false_pass_rate:.4f}"),
        ("false passes by true label", lambda r: ", ".join(f"{k} {v}" for k, v in r.false_pass.items() if v) or "none"),
        ("abstention rate (-> REVIEW)", lambda r: f"{r.abstention_rate:.3f}"),
        ("OOD -> REVIEW", lambda r: f"{r.ood_review_rate:.3f}"),
        ("OOD -> PASS", lambda r: f"{r.ood_pass_rate:.3f}"),
    ):
        table.add_row(label, *(get(r) for r in rows))
    out = Console(stderr=True) if as_json else Console()  # stdout carries only the JSON then
    out.print(table)
    out.print(f"median classifier time per 256 px frame, whole + 4 tiles in one batch: {median_s * 1000:.1f} ms")


if __name__ == "__main__":
    main()
