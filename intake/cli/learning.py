"""The learning loop's commands: `intake vision dataset export`, `intake vision train --from`,
`intake vision evaluate --candidate` (mounted on `intake vision` by intake/cli/vision.py).

Exit 0 ok, 1 failure, 2 bad usage or input; --json gives one JSON object per line."""
from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from intake.cli.db import CONFIG, DB, audit_key, resolve
from intake.cli.output import FAILED, JSON, USAGE, emit, err, fail, note, show

dataset_app = typer.Typer(no_args_is_help=True, help="The plant's labelled samples as a training set.")


def _progress() -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=err)


def _engine(db: Optional[str], config: Optional[Path], key: Optional[str] = None, write: bool = False):
    from intake.store.db import StoreError, open_engine

    url, cfg = resolve(db, config)
    try:
        return open_engine(url, audit_key(key, cfg) if write else None, migrate=False), cfg
    except StoreError as exc:
        fail(str(exc), USAGE)


def who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):   # no passwd entry (a container)
        return "unknown"


@dataset_app.command("export")
def export(out: Path = typer.Option(..., "--out", help="Folder for manifest.json and images/ (new or empty)."),
           db: Optional[str] = DB, config: Optional[Path] = CONFIG, json_out: bool = JSON) -> None:
    """Every reviewed or lab-labelled load's photos with label, provenance and SHA-256s."""
    from intake.learning.export import export as run
    from intake.learning.export import material_lookup

    if out.exists() and any(out.iterdir()):
        fail(f"{out} is not empty: an export goes into a new folder")
    engine, cfg = _engine(db, config)
    accepted = {name: frozenset(rule.accept) for name, rule in cfg.materials.items()}
    with _progress() as progress:
        task = progress.add_task("exporting loads", total=None)
        manifest = run(engine, cfg.site.data_dir, out, cfg.site.name, accepted, material_lookup(engine),
                       lambda done, total: progress.update(task, completed=done, total=total))
    items = manifest.items
    summary = {"out": str(out), "loads": len({i.visit for i in items}), "photos": len(items),
               "exported": sum(i.file is not None for i in items),
               "held_back_photos": sum(i.held_back and i.file is not None for i in items),
               "not_exported": sum(i.file is None for i in items),
               "removed_by_retention": sum((i.missing or "").startswith("removed") for i in items),
               "unlabelled_loads": len(manifest.unlabelled),
               "labels": {label: sum(i.label == label and i.file is not None for i in items)
                          for label in sorted({i.label for i in items})}}
    if json_out:
        emit(summary)
        return
    table = Table(title=f"Dataset export {out}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for k, v in summary.items():
        table.add_row(k, ", ".join(f"{a} {b}" for a, b in v.items()) if isinstance(v, dict) else str(v))
    show(table)
    for item in items:
        if item.missing:
            note(f"not exported: visit {item.visit} frame {item.frame}: {item.missing}")


def in_service_model(config: Optional[Path], db: Optional[str]) -> Path:
    """The model the registry has in service (the configured one before any promotion)."""
    from sqlalchemy.exc import SQLAlchemyError

    from intake.learning.registry import in_service

    url, cfg = resolve(db, config)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        note(f"no gate database at {url}: using the configured model {cfg.model.path}")
        return cfg.model.path   # never create a database to read a registry from
    engine, cfg = _engine(db, config)
    try:
        return in_service(engine, cfg.site.data_dir, cfg.model.path).path
    except SQLAlchemyError as exc:   # a database from before migration 0013
        note(f"no model registry in {url} ({type(exc).__name__}): using the configured model")
        return cfg.model.path


def train_from(export_dir: Path, out: Path, base: Optional[Path], config: Optional[Path], db: Optional[str],
               quick: bool, seed: int, epochs: Optional[int]) -> None:
    """Fine-tune the model in service (or `base`) on the export plus the base data."""
    from vision.dataset import load_manifest
    from vision.train.finetune import finetune_config
    from vision.train.pipeline import train

    try:
        usable = load_manifest(export_dir).usable(held=False)
    except ValueError as exc:
        fail(str(exc))
    base = base or in_service_model(config, db)
    if not base.is_file():
        fail(f"no base model at {base}")
    note(f"fine-tuning {base} on {len(usable)} plant photos of {export_dir} plus the base data")
    overrides: dict[str, Any] = {"epochs": epochs} if epochs else {}
    try:
        cfg = finetune_config(base, export_dir, out, quick=quick, seed=seed, **overrides)
        result = train(cfg, console=err)
    except ValueError as exc:
        fail(f"cannot fine-tune {base}: {exc}", FAILED)
    m = result.card.metrics
    emit({"model": str(result.model_path), "sha256": result.card.sha256, "base": str(base),
          "plant_photos": len(usable), "seconds": round(result.seconds, 1), "test_accuracy": round(m.accuracy, 4),
          "abstain_confidence": result.card.abstain_confidence})


def evaluate_candidate(candidate: Path, current: Optional[Path], plant: Optional[Path], out: Optional[Path],
                       config: Optional[Path], db: Optional[str], key: Optional[str], record: bool,
                       generated: int, ood: int, real: bool, as_json: bool) -> None:
    """Candidate vs the model in service on the frozen set; recorded for `intake model promote`."""
    from intake.cli.vision import _load_classifier, _rule_specs
    from vision.compare import compare, frozen_set

    engine = _engine(db, config, key, write=True)[0] if record else None
    current = current or in_service_model(config, db)
    cand, cur = _load_classifier(candidate), _load_classifier(current)
    if cand.labels != cur.labels:
        fail(f"the models have different labels: {cand.labels} vs {cur.labels}")
    try:
        photos, dataset = frozen_set(generated, ood, real, plant)
    except ValueError as exc:
        fail(str(exc))
    with _progress() as progress:
        task = progress.add_task("judging the frozen set (candidate, then current)", total=2 * len(photos))
        result = compare(cand, cur, photos, dataset, _rule_specs(config), lambda: progress.advance(task))
    evaluation_id = None
    if record and engine is not None:
        from intake.learning.registry import record_evaluation

        evaluation_id = record_evaluation(engine, result, who()).id
    payload = {**result.model_dump(), "evaluation_id": evaluation_id}
    if out is not None:
        _write_outputs(out, result, payload, list(cand.labels))
    if as_json:
        emit(payload)
    else:
        show(comparison_table(result))
        show("[red]worse: " + "; ".join(result.worse) + "[/red]" if result.worse
             else "[green]not worse on false-pass or good-load PASS[/green]")


def _write_outputs(out: Path, result: Any, payload: dict[str, Any], labels: list[str]) -> None:
    from vision.plots import confusion_png, write_png

    out.mkdir(parents=True, exist_ok=True)
    (out / "evaluation.json").write_text(json.dumps(payload, indent=1, default=str) + "\n", encoding="utf-8")
    for name, fig in (("candidate", result.candidate), ("current", result.current)):
        write_png(out / f"confusion-{name}.png", confusion_png(fig.confusion, labels, f"{name} {fig.sha256[:12]}"))
    note(f"wrote {out / 'evaluation.json'}, confusion-candidate.png, confusion-current.png")


def comparison_table(result: Any) -> Table:
    c, k = result.candidate, result.current
    table = Table(title=f"Candidate {c.sha256[:12]} vs in service {k.sha256[:12]}: {result.dataset}")
    for column in ("figure", "candidate", "in service"):
        table.add_column(column, justify="left" if column == "figure" else "right")

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{100 * v:.2f} %"

    table.add_row("false-pass (must not pass -> PASS)", pct(c.false_pass_rate), pct(k.false_pass_rate))
    table.add_row("good-load PASS", pct(c.good_pass_rate), pct(k.good_pass_rate))
    for source in sorted(set(c.good_pass_by_source) | set(k.good_pass_by_source)):
        table.add_row(f"  good PASS, {source}", pct(c.good_pass_by_source.get(source)), pct(k.good_pass_by_source.get(source)))
    for label in sorted(set(c.recall) | set(k.recall)):
        table.add_row(f"recall {label}", pct(c.recall.get(label)), pct(k.recall.get(label)))
    table.add_row("non-tray -> REVIEW", pct(c.ood_review_rate), pct(k.ood_review_rate))
    table.add_row("non-tray -> PASS (count)", str(c.ood_pass), str(k.ood_pass))
    table.add_row("ms per photo (whole + 4 tiles)", f"{c.ms_per_photo:.1f}", f"{k.ms_per_photo:.1f}")
    table.add_row("3-photo generated loads: false-pass", pct(c.loads_false_pass_rate), pct(k.loads_false_pass_rate))
    table.add_row("3-photo generated loads: good PASS", pct(c.loads_good_pass_rate), pct(k.loads_good_pass_rate))
    table.add_row("3-photo non-tray loads -> PASS (count)", str(c.loads_ood_pass), str(k.loads_ood_pass))
    return table
