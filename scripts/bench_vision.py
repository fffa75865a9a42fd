"""Held-out figures of a model at the gate: not a test, it prints (and writes --json).

    .venv/bin/python scripts/bench_vision.py [--model models/intake-classifier/model.onnx]
        [--per-label 200] [--seed 1007] [--variation shifted] [--ood-per-kind 30]
        [--load-per-label 1000] [--demo-per-label 500]

The held-out set is made with the `shifted` generator ranges and a seed no training split
uses; the OOD set is seven kinds of non-tray pictures. For each of whole-frame and tiled
inference it prints accuracy, ECE, false-pass rate (by the demo material rules), abstention,
OOD -> REVIEW, and the classifier time per frame: each image judged alone, as one view.

Then loads as the gate judges them (frame-quality gate, whole frame + 4 tiles, several
distinct photos of one true label, as the demo camera presents them), by the per-image rule
and by the card's gate calibration: good loads sent to REVIEW per material, good loads
REJECTed, false-pass rate, non-tray loads -> REVIEW / PASS; on the held-out photos
(--load-per-label of them, the first --per-label being the images above) and on photos of
the demo camera's generator ranges ('legacy', seed 3007, --demo-per-label; 0 skips them).
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
from vision.evaluation import DEMO_RULES, gate_metrics  # noqa: E402
from vision.gate_calibration import figures, make_loads  # noqa: E402
from vision.gate_data import PhotoSet, merge, photograph  # noqa: E402
from vision.model_card import GateFigures  # noqa: E402
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
    ap.add_argument("--load-per-label", type=int, default=1000, help="held-out photos per label made into loads")
    ap.add_argument("--demo-per-label", type=int, default=500, help="demo-camera ('legacy') photos per label; 0: none")
    ap.add_argument("--frames", type=int, nargs="+", default=[1, 2, 3, 5], help="photos per load")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON on stdout")
    args = ap.parse_args()

    classifier = OnnxClassifier.load(args.model)
    console.print(f"generating {args.per_label}/label ('{args.variation}', seed {args.seed}) "
                  f"and {args.ood_per_kind} x 7 OOD pictures (seed {args.ood_seed})")
    images, y = photo_split(args.per_label, args.seed, 256, args.variation)
    pictures = ood_set(args.ood_per_kind, args.ood_seed)
    ood = [image for _, image in pictures]
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
    rows = [gate_metrics(name, preds, y, LABELS, classifier.card.abstain_confidence, tiles=t, ood_preds=ood_preds,
                         gate=classifier.card.gate) for t in (False, True)]
    _table(rows, float(np.median(seconds)), args.model, args.json)
    load_rows = _loads(classifier, args, pictures)
    if args.json:
        print(json.dumps({"images": [r.model_dump(mode="json") for r in rows],
                          "loads": {name: [[b.model_dump(mode="json"), a.model_dump(mode="json")] for b, a in pairs]
                                    for name, pairs in load_rows.items()}}))


def _loads(classifier: OnnxClassifier, args: argparse.Namespace, pictures: list) -> dict[str, list]:
    """Load figures (per-image rule, calibrated gate) per photo set, printed as a table."""
    sets = {"held-out": (args.variation, args.seed, args.load_per_label, True)}
    if args.demo_per_label:
        sets["demo camera"] = ("legacy", 3007, args.demo_per_label, False)
    out = {}
    card = classifier.card
    for name, (variation, seed, n, with_ood) in sets.items():
        photos = _photograph(classifier, variation, seed, n, pictures if with_ood else [])
        out[name] = []
        for f in args.frames:
            batch = make_loads(photos, f, 3, seed, card.abstain_confidence, card.gate.same_view if card.gate else 1.0)
            out[name].append(tuple(figures(batch, DEMO_RULES, LABELS, card.abstain_confidence, g, f)
                                   for g in (None, card.gate)))
    _load_table(out, args.json)
    return out


def _photograph(classifier: OnnxClassifier, variation: str, seed: int, n: int, pictures: list) -> PhotoSet:
    images, y = photo_split(n, seed, 256, variation)
    kinds = sorted({kind for kind, _ in pictures})
    with Progress(console=console) as progress:
        task = progress.add_task(f"loads: '{variation}' photos through the gate's frame steps", total=len(images) + len(pictures))
        step = lambda: progress.advance(task)  # noqa: E731
        photos = photograph(classifier, images, y, step)
        if pictures:
            photos = merge(photos, photograph(classifier, [p for _, p in pictures],
                                              [-1 - kinds.index(k) for k, _ in pictures], step))
    return photos


def _load_table(rows: dict[str, list[tuple[GateFigures, GateFigures]]], as_json: bool) -> None:
    table = Table(title="Loads at the gate: per-image rule → card's gate calibration (3 reshuffles of the photos)")
    for column in ("photos", "frames", "loads/label", "good sand → REVIEW", "good gravel → REVIEW",
                   "good → REJECT (sand, gravel)", "false-pass rate", "non-tray → REVIEW", "non-tray → PASS"):
        table.add_column(column, justify="right")
    for name, pairs in rows.items():
        for b, a in pairs:
            ood = name == "held-out"
            table.add_row(name, str(a.frames), str(a.loads),
                          f"{b.good_review['sand']:.3f} → {a.good_review['sand']:.3f}",
                          f"{b.good_review['gravel']:.3f} → {a.good_review['gravel']:.3f}",
                          f"{a.good_reject['sand']:.3f}, {a.good_reject['gravel']:.3f}",
                          f"{b.false_pass_rate:.4f} → {a.false_pass_rate:.4f}",
                          f"{b.ood_review_rate:.3f} → {a.ood_review_rate:.3f}" if ood else "—",
                          f"{b.ood_pass} → {a.ood_pass}" if ood else "—")
    out = Console(stderr=as_json, width=150)  # stdout carries only the JSON with --json
    out.print(table)
    out.print("held-out: the photos of the set above, more of them; demo camera: the demo's generator ranges "
              "('legacy'), seed 3007. A load's frames are distinct photos of one true label.")


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
