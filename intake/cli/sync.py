"""`intake sync`: forward this gate's chained records to the central PostgreSQL.

  intake sync --central URL [--db URL] [--once]     catch up (and keep following without --once)
  intake sync register --central URL                give the centre this site's audit key
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn
from rich.table import Table

from intake.cli.db import CONFIG, DB, KEY, audit_key, config_path, resolve, site_config
from intake.cli.output import JSON, OK, emit, err, exit_with, fail, show

app = typer.Typer(invoke_without_command=True, no_args_is_help=False)

CENTRAL = typer.Option(None, "--central", help="SQLAlchemy URL of the central PostgreSQL "
                                               "(postgresql+psycopg://user@host/db).")
SITE = typer.Option(None, "--site", help="This site's name at the centre (default: the config's site.name).")


def _engines(central: Optional[str], db: Optional[str], config: Optional[Path], key: Optional[str],
             site: Optional[str], local: bool = True):
    from sqlalchemy.exc import ArgumentError

    from intake.store.db import make_engine, open_engine

    if not central:
        fail("--central URL is required", 2)
    if local:
        url, cfg = resolve(db, config)
    else:   # the centre only: a site named by --site and --key stands without a config
        if config_path(config) is None and not (site and key):
            fail("which site? give --config gate.toml (or set INTAKE_CONFIG), or --site NAME and --key", 2)
        url, cfg = "", site_config(config)
    secret = audit_key(key, cfg)
    try:
        central_engine = make_engine(str(central))
    except (ArgumentError, ImportError) as exc:
        fail(f"bad central URL: {exc}", 2)
    if central_engine.dialect.name != "postgresql":
        fail(f"the centre must be PostgreSQL, not {central_engine.dialect.name}", 2)
    local_engine = open_engine(url, secret, migrate=False) if local else None
    return local_engine, central_engine, site or cfg.site.name, secret


@app.callback()
def sync(ctx: typer.Context, central: Optional[str] = CENTRAL, db: Optional[str] = DB,
         once: bool = typer.Option(False, "--once", help="Catch up, then exit (else keep following)."),
         interval: float = typer.Option(5.0, "--interval", min=0.1, help="Seconds between rounds without --once."),
         batch: int = typer.Option(500, "--batch", min=1, max=10_000, help="Records per batch (one transaction)."),
         site: Optional[str] = SITE, config: Optional[Path] = CONFIG, key: Optional[str] = KEY,
         json_out: bool = JSON) -> None:
    """Send the local chain after the centre's mark for this site, in authenticated batches."""
    if ctx.invoked_subcommand is not None:
        return
    from intake.sync.client import SyncFailed, catch_up
    from intake.sync.receiver import Refused

    local, central_engine, name, secret = _engines(central, db, config, key, site)
    while True:
        try:
            done = _round(catch_up, local, central_engine, name, secret, batch, json_out)
        except Refused as exc:
            _refused(exc, name, json_out)
        except SyncFailed as exc:
            fail(str(exc), 1)
        _summary(done, json_out)
        if once:
            exit_with(OK)
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            exit_with(OK)


def _round(catch_up, local, central, site: str, key: bytes, batch: int, json_out: bool):
    if json_out:
        return catch_up(local, central, site, key, batch_size=batch,
                        on_progress=lambda p: emit({"event": "batch", "site": p.site, "high_seq": p.high_seq,
                                                    "local_seq": p.local_seq, "inserted": p.inserted,
                                                    "duplicates": p.duplicates, "retries": p.retries}))
    with Bar(TextColumn("sync {task.description}"), BarColumn(), MofNCompleteColumn(), console=err,
             transient=True) as bar:
        task = bar.add_task(site, total=None)

        def show(p) -> None:
            bar.update(task, completed=p.high_seq, total=p.local_seq)

        return catch_up(local, central, site, key, batch_size=batch, on_progress=show)


def _summary(done, json_out: bool) -> None:
    if json_out:
        emit({"event": "caught_up", "site": done.site, "high_seq": done.high_seq, "local_seq": done.local_seq,
              "pending": done.pending, "retries": done.retries})
        return
    table = Table(title="centre is up to date" if not done.pending else "sync round done", show_header=False)
    for label, value in (("site", done.site), ("centre holds up to", done.high_seq),
                         ("local chain head", done.local_seq), ("pending", done.pending),
                         ("connection retries", done.retries)):
        table.add_row(label, str(value))
    show(table)


def _refused(exc, site: str, json_out: bool) -> None:
    if json_out:
        emit({"event": "refused", "site": site, "kind": exc.kind, "seq": exc.seq, "detail": str(exc)})
    fail(f"centre refused ({exc.kind}): {exc}", 1)


@app.command("register")
def register(central: Optional[str] = CENTRAL, site: Optional[str] = SITE, config: Optional[Path] = CONFIG,
             key: Optional[str] = KEY, json_out: bool = JSON) -> None:
    """Give the centre this site's audit key (an administrator's step, once per site)."""
    from sqlalchemy.exc import OperationalError

    from intake.sync.central import CentralError, register_site

    _, central_engine, name, secret = _engines(central, None, config, key, site, local=False)
    try:
        new = register_site(central_engine, name, secret)
    except CentralError as exc:
        fail(str(exc), 1)
    except OperationalError as exc:
        fail(f"centre unreachable: {str(exc).splitlines()[0]}", 1)
    if json_out:
        emit({"site": name, "registered": new})
    else:
        show(f"site {name}: {'registered' if new else 'already registered with this key'}", highlight=False)
