"""The model on data it was not tuned on, as the gate judges; optionally written into its card.

    .venv/bin/python scripts/bench_generalisation.py [--model models/intake-classifier/model.onnx]
        [--alt-per-label 60] [--ood-per-kind 30] [--write] [--json]

Sets: the frozen real validation series of data/real-photos (vision.real), trays drawn by
vision.synth.alt (seed 3000 + card seed), and the generated non-tray pictures (seed card seed
+ 2000, the held-out OOD seed). Method: vision/generalisation.py. The card's gate calibration
must already be written (scripts/calibrate_gate.py --write).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vision.classifier import OnnxClassifier  # noqa: E402
from vision.generalisation import alt_photoset, good_pass, measure, ood_photoset, real_photoset  # noqa: E402
from vision.model_card import Generalisation, ModelCard, card_path  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "intake-classifier" / "model.onnx")
    ap.add_argument("--alt-per-label", type=int, default=60)
    ap.add_argument("--ood-per-kind", type=int, default=30)
    ap.add_argument("--write", action="store_true", help="write the figures into the model card")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    classifier = OnnxClassifier.load(args.model)
    card = classifier.card
    alt_seed, ood_seed = card.seed + 3000, card.seed + 2000
    ood = ood_photoset(classifier, args.ood_per_kind, ood_seed)
    results = [
        measure(f"real validation series of data/real-photos (frozen, by series); "
                f"non-tray: {args.ood_per_kind} x 7 kinds, seed {ood_seed}", real_photoset(classifier), ood, classifier, card.seed),
        measure(f"trays drawn by vision.synth.alt, {args.alt_per_label}/label, seed {alt_seed}; non-tray: "
                f"{args.ood_per_kind} x 7 kinds, seed {ood_seed}", alt_photoset(classifier, args.alt_per_label, alt_seed),
                ood, classifier, card.seed),
    ]
    _table(results, args.json)
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in results]))
    if args.write:
        path = card_path(args.model)
        ModelCard.model_validate({**card.model_dump(), "generalisation": [r.model_dump() for r in results]}).save(path)
        OnnxClassifier.load(args.model)
        Console(stderr=True).print(f"[green]wrote the figures into {path}[/green]")


def _table(results: list[Generalisation], to_stderr: bool) -> None:
    table = Table(title="Not tuned on: label accuracy and the gate's verdicts (demo rules)")
    for name in ("set", "photos", "quality-failed", "label acc.", "frames", "good sand PASS", "good gravel PASS",
                 "false-pass", "non-tray PASS"):
        table.add_column(name, justify="right")
    for r in results:
        for fig in r.loads:
            ok = good_pass(fig)
            table.add_row(r.dataset.split(",")[0][:40], str(r.n), str(r.quality_failed), f"{r.label_accuracy:.3f}",
                          str(fig.frames), f"{ok['sand']:.3f}", f"{ok['gravel']:.3f}", f"{fig.false_pass_rate:.4f}",
                          str(fig.ood_pass))
    Console(stderr=to_stderr, width=160).print(table)


if __name__ == "__main__":
    main()
