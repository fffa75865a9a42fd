"""`intake db`: migrate (with a backup first), back up, check the gate's database.

Also the options every command that opens the gate's database shares: which database, which
key. A command never picks a site by itself: it takes `--config gate.toml` (or the file named by
INTAKE_CONFIG) or an explicit `--db`, and it opens only a database that exists (only `db upgrade`
makes one), so a typo or the wrong folder is an error, not a new empty database."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

# emit and fail stay importable from here; intake.cli.output is where they live.
from intake.cli.output import JSON, emit, err, fail, finish, show
from intake.config import ConfigError, GateConfig, load_config

DB = typer.Option(None, "--db", help="SQLAlchemy URL (default: the config's site.database).")
CONFIG = typer.Option(None, "--config", help="Site configuration (default: $INTAKE_CONFIG).")
NO_SITE = ("which gate? give --config gate.toml (or set INTAKE_CONFIG to it), or --db URL; "
           "the demo's is intake/demo/demo.toml")
KEY = typer.Option(None, "--key", help="Audit key source env:NAME or file:PATH (default: the config's).")


def config_path(config: Optional[Path]) -> Optional[Path]:
    named = os.environ.get("INTAKE_CONFIG")
    return config or (Path(named) if named else None)


def site_config(config: Optional[Path]) -> GateConfig:
    """The site's configuration; with none named, the built-in defaults (the demo's), which
    only commands given an explicit --db reach (see `resolve`)."""
    from intake.demo.runner import DEMO_CONFIG

    try:
        return load_config(config_path(config) or DEMO_CONFIG)
    except ConfigError as exc:
        fail(str(exc), 2)
        raise  # unreachable; for the type checker


def resolve(db: Optional[str], config: Optional[Path], *, create: bool = False) -> tuple[str, GateConfig]:
    """The database URL and the site's configuration. Refuses (exit 2) to guess a site, and to
    open an SQLite file that does not exist unless `create`."""
    if db is None and config_path(config) is None:
        fail(NO_SITE, 2)
    cfg = site_config(config)
    url = db or cfg.site.database
    if not create:
        must_exist(url)
    return url, cfg


def must_exist(url: str) -> None:
    """A command never creates the database it opens: SQLite would make an empty file (and its
    folder), which then "verifies" as nothing, or fails with a traceback. Only `db upgrade` makes one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        fail(f"bad database URL: {exc}", 2)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(str(parsed.database))
    if not path.is_file():
        fail(f"no database at {path}: start the gate once, or make it with `intake db upgrade`", 2)
    if path.stat().st_size == 0:
        fail(f"{path} is empty: not a gate database", 2)


def audit_key(key: Optional[str], cfg: GateConfig) -> bytes:
    from intake.store.keys import AuditKeyError, load_key

    try:
        return load_key(key or cfg.site.audit_key)
    except AuditKeyError as exc:
        fail(str(exc), 2)
        raise


app = typer.Typer(no_args_is_help=True)


def _engine(url: str):
    from sqlalchemy.exc import ArgumentError

    from intake.store.db import make_engine

    try:
        return make_engine(url)
    except ArgumentError as exc:
        fail(f"bad database URL: {exc}", 2)


@app.command()
def upgrade(db: Optional[str] = DB, config: Optional[Path] = CONFIG, json_out: bool = JSON,
            backup_to: Optional[Path] = typer.Option(None, "--backup-to", help="Where the pre-migration backup goes.")) -> None:
    """Bring the schema to the newest migration, backing the database up first."""
    from intake.store.db import StoreError, integrity_check
    from intake.store.migrate import MigrationError, current_revision, head_revision, upgrade as run_upgrade

    url, _ = resolve(db, config, create=True)
    engine = _engine(url)
    try:
        integrity_check(engine)
        before = current_revision(engine)
        taken = run_upgrade(engine, backup_to)
    except (StoreError, MigrationError) as exc:
        fail(str(exc), 1)
    result = {"database": engine.url.render_as_string(hide_password=True), "from": before,
              "to": head_revision(), "backup": str(taken) if taken else None}
    _show(result, json_out, "migrated" if before != result["to"] else "already at the newest revision")


@app.command()
def backup(out_path: Path = typer.Option(..., "--out", help="Backup file to write (must not exist)."),
           db: Optional[str] = DB, config: Optional[Path] = CONFIG, json_out: bool = JSON) -> None:
    """Online backup: SQLite's backup API (consistent while the gate writes), pg_dump for PostgreSQL."""
    from intake.store.backup import BackupError, backup as run_backup

    url, _ = resolve(db, config)
    engine = _engine(url)
    try:
        written = run_backup(engine, out_path)
    except BackupError as exc:
        fail(str(exc), 1)
    _show({"database": engine.url.render_as_string(hide_password=True), "backup": str(written),
           "bytes": written.stat().st_size}, json_out, "backed up")


@app.command()
def check(db: Optional[str] = DB, config: Optional[Path] = CONFIG, json_out: bool = JSON) -> None:
    """quick_check the file and report the schema revision."""
    from intake.store.db import StoreError, integrity_check
    from intake.store.migrate import current_revision, head_revision

    url, _ = resolve(db, config)
    engine = _engine(url)
    try:
        integrity_check(engine)
    except StoreError as exc:
        fail(str(exc), 1)
    current = current_revision(engine)
    result = {"integrity": "ok", "revision": current, "newest": head_revision()}
    _show(result, json_out, "ok" if current == head_revision() else "needs `intake db upgrade`")


@app.command("prune-frames")
def prune_frames(db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY,
                 dry_run: bool = typer.Option(False, "--dry-run", help="Count what is due; delete nothing."),
                 json_out: bool = JSON) -> None:
    """Remove sample photos and deck snapshots due under the config's [retention] (the records
    stay); run hourly."""
    from rich.progress import Progress

    from intake.store.db import StoreError, open_engine
    from intake.store.retention import prune_frames as run_prune

    url, cfg = resolve(db, config)
    try:
        # quick_check is `db check`'s job: an hourly run need not read the whole file first.
        engine = open_engine(url, None if dry_run else audit_key(key, cfg), check=False)
    except StoreError as exc:
        fail(str(exc), 1)
    with Progress(console=err, transient=True, disable=json_out) as bar:
        task = bar.add_task("photos", total=None)
        totals = run_prune(engine, cfg.site.data_dir, cfg.retention, dry_run=dry_run,
                           progress=lambda done, todo: bar.update(task, completed=done, total=todo))
    from intake.evidence.retention import prune_snapshots

    deck = prune_snapshots(engine, cfg.site.data_dir, cfg.retention, datetime.now(timezone.utc), dry_run=dry_run)
    totals += [deck] if deck is not None else []
    if json_out:
        emit({"dry_run": dry_run, "rules": [vars(t) for t in totals]})
    else:
        table = Table("rule", "loads", "photos", "MB", "failed",
                      title="due for removal (dry run)" if dry_run else "photos removed")
        for t in totals:
            table.add_row(t.rule, str(t.loads), str(t.files), f"{t.bytes / 1e6:.1f}", str(t.failed))
        show(table if totals else "nothing is due")
    finish(not any(t.failed for t in totals))


def _show(result: dict[str, Any], json_out: bool, title: str) -> None:
    if json_out:
        emit(result)
        return
    table = Table(title=title, show_header=False)
    for key, value in result.items():
        table.add_row(key, "—" if value is None else str(value))
    show(table)
