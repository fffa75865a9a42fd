"""`intake sample label|result|show`: blind sample codes for the lab."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Blind sample labels and lab results.", no_args_is_help=True)
out, err = Console(), Console(stderr=True)
DB_HELP = "SQLAlchemy URL of the gate's database"


def _engine(db: str):
    from intake.lab.results import ensure_tables
    from intake.store.db import open_engine

    engine = open_engine(db)
    ensure_tables(engine)
    return engine


@app.command()
def label(code: int, db: str = typer.Option(..., help=DB_HELP), out_dir: Path = typer.Option(Path("."), "--out"),
          base_url: str = typer.Option("http://127.0.0.1:8080", help="where the QR code points")) -> None:
    """Print a sample-bag label (PNG and PDF) with a QR code to the inspection record."""
    from intake.lab.labels import write_label
    from intake.lab.results import LabError, find_sample

    try:
        info = find_sample(_engine(db), code)
    except LabError as exc:
        err.print(f"[red]{exc}")
        raise typer.Exit(2)
    png, pdf = write_label(info, base_url, out_dir)
    out.print(f"label: {png}  {pdf}")


@app.command()
def result(code: int, prop: str = typer.Option(..., "--property"), value: str = typer.Option(...),
           unit: str = typer.Option(...), lab: str = typer.Option(...),
           verdict: str = typer.Option(None, help="pass|fail, the lab's own judgement"),
           db: str = typer.Option(..., help=DB_HELP)) -> None:
    """Attach one lab result to a blind code (a new record; nothing is edited)."""
    from intake.lab.results import LabError, attach_result

    try:
        row = attach_result(_engine(db), code, prop, value, unit, lab, verdict)
    except LabError as exc:
        err.print(f"[red]{exc}")
        raise typer.Exit(2)
    out.print(f"recorded result {row.id} for sample {code}")


@app.command()
def show(code: int, db: str = typer.Option(..., help=DB_HELP), json_out: bool = typer.Option(False, "--json")) -> None:
    """The sample, its gate verdict and its lab results."""
    from intake.lab.results import LabError, find_sample, results_for

    engine = _engine(db)
    try:
        info = find_sample(engine, code)
    except LabError as exc:
        err.print(f"[red]{exc}")
        raise typer.Exit(2)
    rows = results_for(engine, code)
    if json_out:
        print(json.dumps({"code": code, "material": info.material, "verdict": info.verdict,
                          "inspection": info.inspection_id,
                          "results": [{"property": r.property, "value": r.value, "unit": r.unit, "lab": r.lab,
                                       "verdict": r.verdict} for r in rows]}, ensure_ascii=False))
        return
    table = Table(title=f"Sample {code:08d} — {info.material}, gate verdict {info.verdict or '—'}")
    for col in ("property", "value", "unit", "lab", "lab verdict"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.property, r.value, r.unit, r.lab, r.verdict or "")
    out.print(table)
