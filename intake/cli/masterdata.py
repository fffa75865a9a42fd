"""`intake materials|suppliers|vehicles|orders import FILE.csv`: master data in, by staff.

All or nothing: every bad line is named (line and column) and nothing is written; otherwise
the whole file goes in one transaction, each added or changed row with its chained change
record (who: --by; why: --why, the file's name and SHA-256 and the row's line). Importing the
same file again changes nothing. Exit 0 done (or a clean dry run), 1 the file has errors or
the store refused, 2 bad usage (no such file, bad options).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from intake.cli.db import CONFIG, DB, KEY, audit_key, resolve
from intake.cli.output import FAILED, JSON, USAGE, emit, err, fail, finish, note, show
from intake.masterdata.csvfile import FileError, RowError
from intake.masterdata.plan import Plan
from intake.masterdata.rows import Kind

materials_app = typer.Typer(no_args_is_help=True, add_completion=False)
suppliers_app = typer.Typer(no_args_is_help=True, add_completion=False)
vehicles_app = typer.Typer(no_args_is_help=True, add_completion=False)
orders_app = typer.Typer(no_args_is_help=True, add_completion=False)

FILE = typer.Argument(..., help="CSV file with a header line (UTF-8, UTF-8 with BOM or GB18030).")
DRY_RUN = typer.Option(False, "--dry-run", help="Check the file and show what would change; write nothing.")
BY = typer.Option(None, "--by", help="Your name: recorded with every change (needed unless --dry-run).")
WHY = typer.Option(None, "--why", help="Why (default: 'imported from FILE'); the file's SHA-256 is added.")
ENCODING = typer.Option(None, "--encoding", help="Force the file's encoding (utf-8, gb18030, ...).")
ERRORS_SHOWN = 200   # in the text table; --json lists every one
# Measured: 2-4 ms a written row (each a chained change record), all in one write transaction.
# A lane that waits longer than SQLite's busy timeout (10 s) for the lock closes (store_locked).
LONG_LOCK_ROWS = 1000


def _engine(db: Optional[str], config: Optional[Path], key: Optional[str]) -> Any:
    from intake.store.db import StoreError, open_engine

    url, cfg = resolve(db, config)
    try:
        return open_engine(url, audit_key(key, cfg), migrate=False)
    except StoreError as exc:
        fail(str(exc), FAILED)


def _progress(json_out: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err, transient=True, disable=json_out)


def _errors(errors: list[RowError], json_out: bool) -> None:
    if json_out:
        for e in errors:
            emit({"line": e.line, "column": e.column, "error": e.message})
        return
    table = Table("line", "column", "error", title=f"{len(errors)} errors: nothing was written")
    for e in errors[:ERRORS_SHOWN]:
        table.add_row(str(e.line), e.column or "—", e.message)
    show(table)
    if len(errors) > ERRORS_SHOWN:
        note(f"... and {len(errors) - ERRORS_SHOWN} more (--json lists every one)")


def _summary(kind: Kind, name: str, encoding: str, plan: Plan, dry_run: bool, json_out: bool) -> None:
    counts = {a: plan.count(a) for a in ("added", "changed", "unchanged")}
    if json_out:
        emit({"kind": kind, "file": name, "encoding": encoding, "dry_run": dry_run, **counts,
              "errors": 0, "written": 0 if dry_run else counts["added"] + counts["changed"]})
        return
    changed = [c for c in plan.changes if c.action == "changed"]
    if changed:
        detail = Table("line", "key", "field", "old", "new", title="changes")
        for c in changed[:ERRORS_SHOWN]:
            for field, (old, new) in c.fields.items():
                detail.add_row(str(c.line), c.key, field, str(old), str(new))
        show(detail)
    table = Table("table", "file", "encoding", "added", "changed", "unchanged",
                  title="dry run: nothing written" if dry_run else "imported")
    table.add_row(kind, name, encoding, *(str(v) for v in counts.values()))
    show(table)


def _run(kind: Kind, file: Path, dry_run: bool, by: str, why: Optional[str], encoding: Optional[str],
         json_out: bool, db: Optional[str], config: Optional[Path], key: Optional[str]) -> None:
    from intake.masterdata.csvfile import decode, read_table
    from intake.masterdata.rows import MODELS, parse, references
    from intake.masterdata.store import ImportFailed, plan_import, run_import

    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", USAGE)
    model = MODELS[kind]
    try:
        text, used = decode(data, encoding)
        table = read_table(text, used, model.required(), model.OPTIONAL)
    except FileError as exc:
        _errors(exc.errors, json_out)
        finish(False)
    rows, errors = parse(model, table.records)
    engine = _engine(db, config, key)
    plan = plan_import(engine, kind, rows, table.errors + errors, references(model, table.records, errors))
    if plan.errors:
        _errors(plan.errors, json_out)
        finish(False)
    if not dry_run and len(plan.writes) > LONG_LOCK_ROWS:
        note(f"writing {len(plan.writes)} rows holds the database's write lock for about "
             f"{len(plan.writes) * 3 // 1000} s; a lane that waits more than 10 s for it closes "
             "(store_locked): import a file this large while no truck is weighing")
    if not dry_run:
        reason = f"{why or f'imported from {file.name}'}; file {file.name} sha256 {hashlib.sha256(data).hexdigest()[:16]}"
        with _progress(json_out) as bar:
            task = bar.add_task(f"writing {kind}", total=len(plan.writes))
            try:
                plan = run_import(engine, kind, rows, by, reason,
                                  progress=lambda done, total: bar.update(task, completed=done, total=total))
            except ImportFailed as exc:
                bar.stop()
                _errors(exc.plan.errors, json_out)
                finish(False)
    _summary(kind, file.name, used, plan, dry_run, json_out)
    finish(True)


def _command(kind: Kind):  # one command body per master table, same options
    def command(file: Path = FILE, dry_run: bool = DRY_RUN, by: Optional[str] = BY, why: Optional[str] = WHY,
                encoding: Optional[str] = ENCODING, json_out: bool = JSON,
                db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY) -> None:
        if not dry_run and not (by or "").strip():
            fail("--by NAME is needed: your name is recorded with every change", USAGE)
        _run(kind, file, dry_run, (by or "").strip(), why, encoding, json_out, db, config, key)
    command.__doc__ = f"Import {kind} from a CSV file: all rows or none; --dry-run writes nothing."
    return command


materials_app.command("import")(_command("materials"))
suppliers_app.command("import")(_command("suppliers"))
vehicles_app.command("import")(_command("vehicles"))
orders_app.command("import")(_command("orders"))
