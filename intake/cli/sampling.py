"""`intake sampling ...`: audit a day's selections, reveal a finished day's seed, draw a plan,
show measured selection rates (recorded, or simulated) against the configured ones.

JSON on stdout with --json (one object per line); exit 0 ok, 2 bad usage or input, 1 failure.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.table import Table
from sqlalchemy.engine import Engine

from intake.cli.db import CONFIG, DB, KEY, audit_key, resolve, site_config
from intake.cli.output import JSON, emit, fail, finish, show
from intake.config import GateConfig

app = typer.Typer(no_args_is_help=True)
DAY = typer.Option(..., "--day", help="The sampling day, YYYY-MM-DD in the site's time zone.")

# When "today" is, for refusing to reveal a day that is not over: tests set it, the plant's
# clock answers in service.
utc_now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # noqa: E731


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--day {text!r}: expected YYYY-MM-DD", 2)
        raise


def _engine(db: Optional[str], config: Optional[Path], key: bytes | None = None) -> tuple[Engine, GateConfig]:
    from intake.store.db import StoreError, open_engine

    url, cfg = resolve(db, config)
    try:
        engine = open_engine(url, key, migrate=False)
    except StoreError as exc:
        fail(str(exc), 1)
        raise
    except Exception as exc:  # a URL SQLAlchemy cannot parse, a server that is not there
        fail(f"cannot open {url}: {exc}", 2)
        raise
    return engine, cfg


@app.command()
def audit(day: str = DAY, db: Optional[str] = DB, config: Optional[Path] = CONFIG, json_out: bool = JSON) -> None:
    """Recompute every selection of a day from its revealed seed. Exit 1 on any mismatch."""
    from intake.sampling.audit import audit_site_day, sites_of_day

    when = _day(day)
    engine, cfg = _engine(db, config)
    reports = [audit_site_day(engine, site, when, cfg.sampling.timezone) for site in sites_of_day(engine, when)]
    if not reports:
        fail(f"no selections recorded on {when}", 1)
    for r in reports:
        if json_out:
            emit({"ok": r.ok, **r.model_dump(mode="json")})
        else:
            _print_audit(r)
    finish(all(r.ok for r in reports))


def _print_audit(r) -> None:  # r: DayAudit
    verdict = "[green]OK[/green]" if r.ok else "[red]FAILED[/red]"
    check = "unchecked" if not r.revealed else "matches" if r.commitment_ok else "DOES NOT match"
    when = "published in advance" if r.committed_in_advance else "not published before the day"
    show(f"{r.site} {r.day}: {verdict} - {r.selections} selections, {r.sampled} sampled; "
              f"commitment {check} ({when})", highlight=False)
    for p in r.problems:
        show(f"  [red]{p}[/red]", highlight=False)
    if r.mismatches:
        table = Table("visit", "field", "recorded", "recomputed")
        for m in r.mismatches:
            table.add_row(m.visit_id, m.field, str(m.recorded), str(m.recomputed))
        show(table)


@app.command()
def reveal(day: str = DAY, db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY,
           json_out: bool = JSON) -> None:
    """Publish a finished day's seed so anyone can audit that day."""
    from intake.sampling.seeds import day_of, reveal as reveal_seed, sites_with_seed

    when = _day(day)
    url, cfg = resolve(db, config)
    if when >= day_of(utc_now(), cfg.sampling.timezone):
        fail(f"{when} is not over yet ({cfg.sampling.timezone}); its seed stays secret until it is", 2)
    engine, _ = _engine(url, config, audit_key(key, cfg))
    sites = sites_with_seed(engine, when)
    if not sites:
        fail(f"no seed was made for {when}", 1)
    for site in sites:
        row = reveal_seed(engine, site, when)
        if json_out:
            emit({"site": site, "day": row.day, "seed": row.seed_hex, "revealed_at": row.revealed_at})
        else:
            show(f"{site} {row.day}: seed {row.seed_hex}", highlight=False)


@app.command()
def plan(vehicle: str = typer.Option(..., "--vehicle", help="The truck's plate."),
         visit: Optional[str] = typer.Option(None, "--visit", help="Draw the plan recorded for this visit."),
         out_png: Path = typer.Option(Path("plan.png"), "--out", help="Where the PNG goes."),
         db: Optional[str] = DB, config: Optional[Path] = CONFIG, json_out: bool = JSON) -> None:
    """Draw a probe plan for a vehicle: a fresh random preview, or a recorded visit's plan."""
    from intake.sampling.preview import plan_for

    engine, cfg = _engine(db, config)
    result = plan_for(engine, cfg.sampling, vehicle, visit, secrets.token_bytes(32))
    if isinstance(result, str):
        fail(result, 2)
        raise AssertionError  # unreachable
    if result.error is not None:
        fail(f"no plan: {result.error}", 1)
    out_png.write_bytes(result.png)
    obj = {"vehicle": vehicle, "visit": visit, "material": result.material, "bed_mm": list(result.bed_mm),
           "points_m": [list(p) for p in result.points], "png": str(out_png)}
    if json_out:
        emit(obj)
    else:
        show(f"{vehicle} ({result.material}), bed {result.bed_mm[0]} x {result.bed_mm[1]} mm: "
                  f"{len(result.points)} points -> {out_png}", highlight=False)
        for i, (x, y) in enumerate(result.points, start=1):
            show(f"  {i}: x {x:.3f} m, y {y:.3f} m", highlight=False)


@app.command()
def stats(db: Optional[str] = DB, config: Optional[Path] = CONFIG, day: Optional[str] = typer.Option(
        None, "--day", help="Only this day (default: every recorded selection)."), json_out: bool = JSON) -> None:
    """Measured selection rates per supplier, material and mode against the configured ones."""
    from intake.sampling.stats import rate_stats

    engine, _ = _engine(db, config)
    _print_rates(rate_stats(engine, _day(day) if day else None), json_out)


@app.command()
def simulate(trucks: int = typer.Option(10_000, "--trucks", min=1, max=1_000_000),
             material: str = typer.Option("sand", "--material"),
             load_t: float = typer.Option(25.0, "--load-t", min=0.1, help="Each truck's load, tonnes."),
             bad: float = typer.Option(0.05, "--bad", min=0.0, max=1.0, help="Share of sampled loads rejected."),
             seed: Optional[str] = typer.Option(None, "--seed", help="64 hex digits (default: random)."),
             config: Optional[Path] = CONFIG, json_out: bool = JSON) -> None:
    """Run the configured policy over simulated trucks: measured against configured rates per mode."""
    from intake.sampling.keyed import new_seed, seed_from_hex
    from intake.sampling.simulate import simulate as run

    cfg = site_config(config)
    try:
        key = seed_from_hex(seed) if seed else new_seed()
    except ValueError as exc:
        fail(f"--seed: {exc}", 2)
        raise
    rows, lots = run(cfg.sampling, material, trucks, round(load_t * 1000), bad, key)
    _print_rates(rows, json_out)
    if json_out:
        emit({"lots": lots})
    else:
        show(f"lots closed {lots['closed']}, with a sample {lots['closed_sampled']}, "
                  f"forced lot-end samples {lots['lot_end']}", highlight=False)


def _print_rates(rows, json_out: bool) -> None:  # rows: list[RateRow]
    if json_out:
        for r in rows:
            emit({**r.model_dump(mode="json"), "within": r.within})
        return
    table = Table("supplier", "material", "mode", "trucks", "drawn", "measured", "configured", "95% range", "lot_end")
    for r in rows:
        table.add_row(r.supplier, r.material, r.mode, str(r.trucks), str(r.drawn), f"{r.measured:.3f}",
                      f"{r.configured:.3f}", f"{r.low:.3f}-{r.high:.3f}", str(r.lot_end))
    show(table)
