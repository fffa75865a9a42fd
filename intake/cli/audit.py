"""`intake audit`: recompute the keyed hash chain; export its head to anchor it elsewhere."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from sqlalchemy.exc import OperationalError
from rich.table import Table

from intake.cli.db import CONFIG, DB, KEY, audit_key, config_path, resolve
from intake.cli.output import JSON, emit, fail, finish, note, show

app = typer.Typer(no_args_is_help=True)


def _report(db: Optional[str], config: Optional[Path], key: Optional[str], head: Optional[str] = None,
            data_dir: Optional[Path] = None, files: bool = True):
    from intake.store.audit import parse_head, verify
    from intake.store.db import StoreError, open_engine

    url, cfg = resolve(db, config)
    secret = audit_key(key, cfg)
    if head is not None:
        try:
            parse_head(head)
        except ValueError as exc:
            fail(str(exc), 2)
    try:
        engine = open_engine(url, secret, migrate=False)
    except StoreError as exc:
        fail(str(exc), 1)
    except Exception as exc:  # a URL SQLAlchemy cannot parse, a server that is not there
        fail(f"cannot open {url}: {exc}", 2)
    try:
        report = verify(engine, secret, head)
    except OperationalError as exc:  # no chain table: some other SQLite file
        fail(f"{url} is not a gate database ({exc.orig})", 2)
        raise
    folder = data_dir or (cfg.site.data_dir if config_path(config) is not None else None)
    if not files:
        return report
    if folder is None:
        note("deck snapshot files not checked: give --config or --data-dir")
    else:
        from intake.evidence.audit import check_files

        for problem in check_files(engine, folder)[1]:
            report.add(problem)
    return report


@app.command("verify")
def verify_cmd(db: Optional[str] = DB, head: Optional[str] = typer.Option(
        None, "--head", help="An exported head (SEQ:MAC): also detects a database rolled back past it."),
        config: Optional[Path] = CONFIG, key: Optional[str] = KEY, json_out: bool = JSON,
        data_dir: Optional[Path] = typer.Option(
            None, "--data-dir", help="Where the deck snapshots are (default: the config's site.data_dir).")) -> None:
    """Recompute every link from the rows, and check each deck snapshot file against its
    record's SHA-256. Exit 0 only when everything verifies."""
    report = _report(db, config, key, head, data_dir)
    problems = [p.__dict__ for p in report.problems]
    if json_out:
        emit({"ok": report.ok, "records": report.records, "head": report.head,
              "first_bad": problems[0] if problems else None, "problems": problems})
    elif report.ok:
        show(f"[green]chain verifies[/]: {report.records} records, head {report.head}", soft_wrap=True)
    else:
        table = Table(title=f"chain does NOT verify ({len(problems)} problems; first bad record first)")
        for col in ("kind", "seq", "table", "pk", "detail"):
            table.add_column(col)
        for p in report.problems:
            table.add_row(p.kind, str(p.seq or "—"), p.table or "—", p.pk or "—", p.detail)
        show(table)
    finish(report.ok)


@app.command("head")
def head_cmd(db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY,
             json_out: bool = JSON) -> None:
    """Print the chain head (SEQ:MAC) after verifying the chain; keep it off this machine."""
    report = _report(db, config, key, files=False)
    if not report.ok:
        fail("chain does not verify; refusing to export its head (run `intake audit verify`)", 1)
    if json_out:
        emit({"seq": report.head_seq, "mac": report.head_mac, "head": report.head})
    else:
        show(report.head, highlight=False, soft_wrap=True)
