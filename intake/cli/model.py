"""`intake model promote|rollback|list`: the model registry (intake.learning.registry).

Promotion and rollback change what judges every load, so they need an admin account (the
password from $INTAKE_PASSWORD or a hidden prompt, as for scale calibration) and a reason; both
are recorded in the chain. A running gate picks the change up at its next inspection.
Exit 0 ok, 1 refused or failed, 2 bad usage."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from intake.cli.db import CONFIG, DB, KEY, audit_key, resolve
from intake.cli.output import FAILED, JSON, USAGE, emit, fail, line, show

app = typer.Typer(no_args_is_help=True, add_completion=False)
USER = typer.Option(..., "--user", help="Admin account (password: $INTAKE_PASSWORD or asked).")
REASON = typer.Option(..., "--reason", help="Why: recorded with the change.")


def _store(db: Optional[str], config: Optional[Path], key: Optional[str]):
    from intake.store.db import StoreError, open_engine

    url, cfg = resolve(db, config)
    try:
        return open_engine(url, audit_key(key, cfg), migrate=False), cfg
    except StoreError as exc:
        fail(str(exc), USAGE)


def _admin(engine, user: str) -> str:
    from intake.metrology.calibrate_cmd import admin_user

    return admin_user(engine, user)


@app.command("promote")
def promote(candidate: Path = typer.Argument(..., help="The candidate's model.onnx (its card beside it)."),
            user: str = USER, reason: str = REASON,
            override: bool = typer.Option(False, "--override", help="Promote although the evaluation says worse."),
            db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY,
            json_out: bool = JSON) -> None:
    """Put a candidate in service; refused when it is worse than the model in service."""
    from intake.learning.registry import PromotionRefused, in_service
    from intake.learning.registry import promote as run

    if not candidate.is_file():
        fail(f"no model at {candidate}")
    engine, cfg = _store(db, config, key)
    by = _admin(engine, user)
    try:
        record = run(engine, cfg.site.data_dir, cfg.model.path, candidate, by, reason, override)
    except PromotionRefused as exc:
        fail(f"refused: {exc}", FAILED)
    now = in_service(engine, cfg.site.data_dir, cfg.model.path)
    _done("promoted", record, now, json_out)


@app.command("rollback")
def rollback(user: str = USER, reason: str = REASON, db: Optional[str] = DB, config: Optional[Path] = CONFIG,
             key: Optional[str] = KEY, json_out: bool = JSON) -> None:
    """Back to the model that was in service before the latest promotion."""
    from intake.learning.registry import PromotionRefused, in_service
    from intake.learning.registry import rollback as run

    engine, cfg = _store(db, config, key)
    by = _admin(engine, user)
    try:
        record = run(engine, by, reason)
    except PromotionRefused as exc:
        fail(f"refused: {exc}", FAILED)
    _done("rolled back", record, in_service(engine, cfg.site.data_dir, cfg.model.path), json_out)


def _done(what: str, record, now, json_out: bool) -> None:
    version = now.version.version if now.version else "configured"
    if json_out:
        emit({"action": record.action, "record": record.id, "in_service": version, "sha256": now.sha256,
              "override": record.override, "by": record.by, "reason": record.reason})
    else:
        line(f"{what}: {version} ({now.sha256[:16]}) in service; the gate uses it from its next inspection"
             + (" [override]" if record.override else ""))


@app.command("list")
def list_(db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY,
          evaluations: int = typer.Option(5, min=0, help="How many of the latest evaluations to show."),
          json_out: bool = JSON) -> None:
    """The registry: versions, the one in service, promotions and the latest evaluations."""
    from intake.learning import registry

    engine, cfg = _store(db, config, key)
    now = registry.in_service(engine, cfg.site.data_dir, cfg.model.path)
    rows, history = registry.versions(engine), registry.promotions(engine)
    names = {v.id: v.version for v in rows}
    latest = registry.evaluations(engine, evaluations)
    if json_out:
        for v in rows:
            emit({"version": v.version, "sha256": v.sha256, "path": v.path, "in_service": v.sha256 == now.sha256,
                  "registered_by": v.registered_by, "registered_at": v.registered_at, "source": v.source})
        for p in history:
            emit({"promotion": p.id, "action": p.action, "version": names.get(p.version_id), "by": p.by,
                  "reason": p.reason, "override": p.override, "at": p.at, "evaluation": p.evaluation_id})
        for e in latest:
            emit({"evaluation": e.id, "candidate": e.candidate_sha256, "current": e.current_sha256, "worse": e.worse,
                  "by": e.evaluated_by, "at": e.evaluated_at, "figures": e.figures})
        return
    show(_versions_table(rows, history, names, now))
    show(_evaluations_table(latest))


def _versions_table(rows, history, names, now) -> Table:
    table = Table(title=f"Model in service: {now.version.version if now.version else 'configured'} {now.sha256[:16]}")
    for column in ("version", "sha256", "registered", "by", "last change", "why"):
        table.add_column(column)
    last = {}
    for p in history:
        last[p.version_id] = p
    for v in rows:
        p = last.get(v.id)
        change = f"{p.action}{' (override)' if p.override else ''} {p.at:%Y-%m-%d %H:%M} by {p.by}" if p else "-"
        table.add_row(("* " if v.sha256 == now.sha256 else "  ") + v.version, v.sha256[:16],
                      f"{v.registered_at:%Y-%m-%d %H:%M}", v.registered_by, change, p.reason if p else v.source)
    return table


def _evaluations_table(latest) -> Table:
    table = Table(title="Latest evaluations (candidate vs in service, same frozen set)")
    for column in ("id", "candidate", "against", "false-pass", "good PASS", "verdict", "when"):
        table.add_column(column)
    for e in latest:
        c, k = e.figures.get("candidate", {}), e.figures.get("current", {})
        table.add_row(str(e.id), e.candidate_sha256[:12], e.current_sha256[:12],
                      f"{c.get('false_pass_rate', 0):.4f} / {k.get('false_pass_rate', 0):.4f}",
                      f"{c.get('good_pass_rate', 0):.3f} / {k.get('good_pass_rate', 0):.3f}",
                      "worse" if e.worse else "not worse", f"{e.evaluated_at:%Y-%m-%d %H:%M}")
    return table
