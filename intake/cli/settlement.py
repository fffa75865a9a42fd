"""`intake settlement export|summary`: the deliveries a plant pays its suppliers for, for the ERP.

    intake settlement export  --from 2026-12-01 --to 2026-12-31 [--supplier CODE] [--format csv|json] [--out FILE]
    intake settlement summary --from 2026-12-01 --to 2026-12-31 [--supplier CODE] [--json]
    intake settlement page    [--after CURSOR] [--limit N]      the API's incremental page, as JSON lines

From the gate's database (--config / --db / --key, as `intake audit`), or with --central URL from
the central PostgreSQL for every gate that syncs to it (--site narrows it to one). Days are the
plant's (`[tickets] timezone`, or --tz); times are ISO-8601 with that zone's offset. The export
streams: one chunk of tickets at a time, never the whole period in memory. Each line says
whether the chain vouches for it (`verified`); a line that does not carries no figures.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import tzinfo
from pathlib import Path
from typing import Any, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from intake.cli.db import CONFIG, DB, KEY, audit_key, resolve, site_config
from intake.cli.output import JSON, emit, err, fail, finish, line, note, show, write
from intake.settlement.lines import (
    COLUMNS, BadArgument, Delivery, SummaryRow, Window, as_json, as_row, summarise, summary_json, summary_pages,
    window,
)
from intake.store.csvcells import neutralise

app = typer.Typer(help="Settlement export for the ERP: deliveries and a daily per-supplier summary.",
                  no_args_is_help=True)

FROM = typer.Option(..., "--from", help="First day, YYYY-MM-DD (the plant's day).")
TO = typer.Option(..., "--to", help="Last day, YYYY-MM-DD (inclusive).")
SUPPLIER = typer.Option(None, "--supplier", help="Only this supplier's code.")
CENTRAL = typer.Option(None, "--central", help="Read the central PostgreSQL (postgresql://...) instead.")
SITE = typer.Option(None, "--site", help="Site name on the lines (default: the config's site.name); "
                                         "with --central, only this site.")
TZ = typer.Option(None, "--tz", help="IANA zone for days and times (default: the config's tickets.timezone).")
BOM = "\ufeff"   # Excel reads the file as UTF-8 only with it


class Source:
    """Where the lines come from: the gate's database or the centre."""

    def __init__(self, db: Optional[str], config: Optional[Path], key: Optional[str], central: Optional[str],
                 site: Optional[str], tz: Optional[str]) -> None:
        # The centre needs no gate database: only the plant's zone, from --tz or the config.
        url, cfg = ("", site_config(config)) if central else resolve(db, config)
        self.zone = _zone(tz or cfg.tickets.timezone)
        self.central = central
        self.site = site
        if central:
            from intake.store.db import make_engine

            if not central.startswith(("postgresql://", "postgresql+psycopg://")):
                fail("--central: a postgresql:// URL", 2)
            self.engine = make_engine(central)
        else:
            from intake.store.db import StoreError, open_engine

            secret = audit_key(key, cfg)
            try:
                self.engine = open_engine(url, secret, migrate=True)
            except StoreError as exc:
                fail(str(exc), 1)
            self.site = site or cfg.site.name

    def lines(self, w: Window) -> Iterator[Delivery]:
        if self.central:
            from intake.settlement.central import central_deliveries

            return central_deliveries(self.engine, w, self.site)
        from intake.settlement.local import chain_check, deliveries

        assert self.site is not None
        return deliveries(self.engine, w, self.site, chain_check(self.engine))

    def page(self, after: dict[str, int], limit: int) -> tuple[list[Delivery], dict[str, int], bool]:
        """The ERP API's incremental page (intake.web.settlement): the same lines and cursor."""
        if self.central:
            from intake.settlement.central import central_page

            return central_page(self.engine, after, limit, self.site)
        from intake.settlement.local import chain_check, page

        assert self.site is not None
        lines, last, more = page(self.engine, after.get("t", 0), limit, self.site, chain_check(self.engine))
        return lines, {"t": last}, more

    def count(self, w: Window) -> int:
        if self.central:
            from intake.settlement.central import central_count

            return central_count(self.engine, w, self.site)
        from intake.settlement.local import count

        return count(self.engine, w)


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"--tz: unknown time zone {name!r}", 2)


def _window(since: str, until: str, zone: tzinfo, supplier: Optional[str]) -> Window:
    try:
        return window(since, until, zone, supplier)
    except BadArgument as exc:
        fail(f"--{exc}", 2)


def _from_db(exc: Exception, source: Source) -> None:
    where = "the central database" if source.central else "the gate's database"
    fail(f"cannot read {where}: {type(exc).__name__}: {str(exc).splitlines()[0]}", 1)


def csv_chunks(lines: Iterable[Delivery], zone: tzinfo, chunk_rows: int = 500) -> Iterator[str]:
    """The CSV text (BOM, header, CRLF lines) a chunk at a time; cells neutralised against
    spreadsheet formulas like every export of the gate."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    buf.write(BOM)
    writer.writerow(COLUMNS)
    for i, d in enumerate(lines, 1):
        writer.writerow([neutralise(v) for v in as_row(d, zone)])
        if i % chunk_rows == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


@contextmanager
def _progress(total: int, quiet: bool) -> Iterator[Any]:
    """A progress bar on stderr (lines of the export), or nothing."""
    if quiet:
        yield lambda n: None
        return
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("deliveries", total=total)
        yield lambda n: bar.update(task, completed=n)


def _counted(lines: Iterable[Delivery], tick: Any, every: int = 500) -> Iterator[Delivery]:
    n = 0
    for n, d in enumerate(lines, 1):
        if n % every == 0:
            tick(n)
        yield d
    tick(n)


@app.command("export")
def export_cmd(since: str = FROM, until: str = TO, supplier: Optional[str] = SUPPLIER,
               fmt: str = typer.Option("csv", "--format", help="csv (UTF-8 with BOM, for Excel) or json (one object a line)."),
               out: Optional[Path] = typer.Option(None, "--out", help="Write to this file (default: stdout)."),
               central: Optional[str] = CENTRAL, site: Optional[str] = SITE, tz: Optional[str] = TZ,
               db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY) -> None:
    """Every delivery weighed out in the period, one line each, streamed."""
    if fmt not in ("csv", "json"):
        fail(f"--format: {fmt!r} is not csv or json", 2)
    if out is not None and not out.parent.is_dir():
        fail(f"--out: no folder {out.parent}", 2)
    source = Source(db, config, key, central, site, tz)
    w = _window(since, until, source.zone, supplier)
    try:
        total = source.count(w)
        with _progress(total, quiet=out is None) as tick:
            lines = _counted(source.lines(w), tick)
            n, net, failed = _write(lines, fmt, source.zone, out)
    except (SQLAlchemyError, OSError) as exc:   # a database that cannot be read ends the command, named
        _from_db(exc, source)
    note(f"{n} deliveries, {net} kg received" + (f", {failed} NOT verified (no figures)" if failed else ""))
    finish(not failed)   # 1 when the chain does not vouch for every line: the ERP job should not book it as is


def _write(lines: Iterable[Delivery], fmt: str, zone: tzinfo, out: Optional[Path]) -> tuple[int, int, int]:
    seen = [0, 0, 0]

    def tally(items: Iterable[Delivery]) -> Iterator[Delivery]:
        for d in items:
            seen[0] += 1
            seen[1] += d.net_kg or 0
            seen[2] += d.verified is False
            yield d

    counted = tally(lines)
    sink = out.open("w", encoding="utf-8", newline="") if out is not None else None
    try:
        if fmt == "csv":
            for chunk in csv_chunks(counted, zone):
                sink.write(chunk) if sink else write(chunk)
        else:
            import json

            for d in counted:
                text = json.dumps(as_json(d, zone), ensure_ascii=False)
                sink.write(text + "\n") if sink else line(text)
    finally:
        if sink is not None:
            sink.close()
    return seen[0], seen[1], seen[2]


@app.command("summary")
def summary_cmd(since: str = FROM, until: str = TO, supplier: Optional[str] = SUPPLIER,
                central: Optional[str] = CENTRAL, site: Optional[str] = SITE, tz: Optional[str] = TZ,
                db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY,
                json_out: bool = JSON) -> None:
    """Per day and supplier: trucks, tonnes received, rejected, held for review. Any period: it
    is read 31 days at a time, and with --json each stretch's rows are written as it is done."""
    source = Source(db, config, key, central, site, tz)
    try:
        pages = list(summary_pages(since, until, source.zone, supplier))   # a few dates each, not lines
    except BadArgument as exc:
        fail(f"--{exc}", 2)
    kept: list[SummaryRow] = []    # for the table only (people read it); --json keeps nothing
    unverified = 0
    try:
        for p in pages:
            for r in summarise(source.lines(p.window), source.zone):
                unverified += r.unverified
                emit(summary_json(r)) if json_out else kept.append(r)
    except (SQLAlchemyError, OSError) as exc:
        _from_db(exc, source)
    if not json_out:
        _table(kept, since, until)
    finish(not unverified)


def _table(rows: list[SummaryRow], since: str, until: str) -> None:
    """Rich table; the `unverified` column only when some line did not verify."""
    flagged = any(r.unverified for r in rows)
    names = ["day", "supplier", "trucks", "received", "tonnes", "rejected", "held"] + (["unverified"] if flagged else [])
    table = Table(title=f"Deliveries {since} .. {until}", box=None, header_style="bold underline")
    for name in names:
        table.add_column(name, justify="left" if name in ("day", "supplier") else "right",
                         min_width=10 if name == "day" else None)

    def cells(day: str, supplier: str, group: list[SummaryRow]) -> list[str]:
        tonnes = sum(r.received_kg for r in group) / 1000
        out = [day, supplier, str(sum(r.trucks for r in group)), str(sum(r.received_trucks for r in group)),
               f"{tonnes:,.3f}", str(sum(r.rejected for r in group)), str(sum(r.held for r in group))]
        return out + [str(sum(r.unverified for r in group))] if flagged else out

    for r in rows:
        table.add_row(*cells(str(r.day), r.supplier, [r]))
    table.add_row(*cells("total", "", rows), style="bold")
    show(table)


@app.command("page")
def page_cmd(after: Optional[str] = typer.Option(None, "--after", help="The cursor the last page handed out."),
             limit: int = typer.Option(100, "--limit", min=1, max=1000, help="Deliveries at most."),
             central: Optional[str] = CENTRAL, site: Optional[str] = SITE, tz: Optional[str] = TZ,
             db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY) -> None:
    """The deliveries after a cursor, as GET /api/settlement/deliveries gives them: one JSON line
    each, then {"next": CURSOR, "more": bool}. With --central, every gate's (one cursor)."""
    import json

    from intake.settlement.lines import decode_cursor, encode_cursor

    source = Source(db, config, key, central, site, tz)
    try:
        positions = decode_cursor(after)
    except BadArgument as exc:
        fail(f"--{exc}", 2)
    try:
        lines, following, more = source.page(positions, limit)
    except (SQLAlchemyError, OSError) as exc:
        _from_db(exc, source)
    for d in lines:
        line(json.dumps(as_json(d, source.zone), ensure_ascii=False))
    line(json.dumps({"next": encode_cursor(following), "more": more}))
    finish(not any(d.verified is False for d in lines))
