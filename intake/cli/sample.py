"""`intake sample label|result|show`: blind sample codes for the lab."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from intake.cli.db import CONFIG, DB, KEY, audit_key, resolve
from intake.cli.output import JSON, emit, fail, out

app = typer.Typer(help="Blind sample labels and lab results.", no_args_is_help=True)


def _engine(db: Optional[str], config: Optional[Path], key: Optional[str]):
    """The gate's database with its audit key: lab results are chained records."""
    from intake.store.db import open_engine

    url, cfg = resolve(db, config)
    return open_engine(url, audit_key(key, cfg))


@app.command()
def label(code: int, db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY,
          out_dir: Path = typer.Option(Path("."), "--out"),
          base_url: Optional[str] = typer.Option(
              None, help="where the QR code points (default: the config's tickets.base_url, else web_host:web_port)"),
          ) -> None:
    """Print a sample-bag label (PNG and PDF) with a QR code to the inspection record."""
    from intake.lab.labels import write_label
    from intake.lab.results import LabError, find_sample
    from intake.store.db import open_engine

    url, cfg = resolve(db, config)
    try:
        info = find_sample(open_engine(url, audit_key(key, cfg)), code)
    except LabError as exc:
        fail(str(exc))
    png, pdf = write_label(info, base_url or cfg.ticket_url(), out_dir, cfg.tickets.timezone)
    out.print(f"label: {png}  {pdf}")


@app.command()
def result(code: int, prop: str = typer.Option(..., "--property"), value: str = typer.Option(...),
           unit: str = typer.Option(...), lab: str = typer.Option(...),
           verdict: str = typer.Option(None, help="pass|fail, the lab's own judgement"),
           db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY) -> None:
    """Attach one lab result to a blind code (a new record; nothing is edited)."""
    from intake.lab.results import LabError, attach_result

    try:
        row = attach_result(_engine(db, config, key), code, prop, value, unit, lab, verdict)
    except LabError as exc:
        fail(str(exc))
    out.print(f"recorded result {row.id} for sample {code}")


@app.command()
def show(code: int, db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY,
         json_out: bool = JSON) -> None:
    """The sample, its gate verdict and its lab results."""
    from intake.lab.results import LabError, find_sample, results_for

    engine = _engine(db, config, key)
    try:
        info = find_sample(engine, code)
    except LabError as exc:
        fail(str(exc))
    rows = results_for(engine, code)
    if json_out:
        emit({"code": code, "material": info.material, "verdict": info.verdict,
              "inspection": info.inspection_id,
              "results": [{"property": r.property, "value": r.value, "unit": r.unit, "lab": r.lab,
                           "verdict": r.verdict} for r in rows]})
        return
    table = Table(title=f"Sample {code:08d} — {info.material}, gate verdict {info.verdict or '—'}")
    for col in ("property", "value", "unit", "lab", "lab verdict"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.property, r.value, r.unit, r.lab, r.verdict or "")
    out.print(table)
