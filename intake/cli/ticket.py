"""`intake ticket issue|print|verify`: weighing tickets (磅单) after the weigh-out.

The gate issues and prints each ticket itself; these commands are for what it could not do at
the time (the store or the printer failing), for reprints (marked 补打 / COPY), and for anyone
holding a ticket to check it against the records: `verify` exits 0 only when the chain vouches
for every fact on it."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from intake.cli.db import CONFIG, DB, KEY, audit_key, resolve
from intake.cli.output import JSON, emit, error, fail, finish, show
from intake.config import GateConfig

app = typer.Typer(help="Weighing tickets: issue, print (PDF or receipt printer), verify.", no_args_is_help=True)
BY = typer.Option("cli", "--by", help="Who issues or prints (on the record).")


def _open(db: Optional[str], config: Optional[Path], key: Optional[str], migrate: bool = True):
    from intake.store.db import StoreError, open_engine

    url, cfg = resolve(db, config)
    secret = audit_key(key, cfg)
    try:
        return open_engine(url, secret, migrate=migrate), cfg
    except StoreError as exc:
        fail(str(exc), 1)


def _ticket(engine, ref: str) -> Any:
    from sqlmodel import Session

    from intake.ticket.issue import find_ticket

    with Session(engine) as session:
        ticket = find_ticket(session, ref)
    if ticket is None:
        fail(f"no ticket {ref!r} (a code from the QR, its URL, or a ticket number)", 2)
    return ticket


@app.command("issue")
def issue_cmd(visit: Optional[str] = typer.Argument(None, help="The visit's id; omit with --pending."),
              pending: bool = typer.Option(False, "--pending", help="Every weighed-out visit without a ticket."),
              by: str = BY, db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY,
              json_out: bool = JSON) -> None:
    """Issue the ticket of a weighed-out visit (the existing one if it has one)."""
    from intake.ticket.issue import TicketError, issue_ticket, pending_visits

    if (visit is None) == (not pending):
        fail("give a visit id or --pending", 2)
    engine, cfg = _open(db, config, key)
    visits = pending_visits(engine) if pending else [visit]
    ok = True
    for one in visits:
        try:
            ticket = issue_ticket(engine, str(one), cfg.site.name, by=by)
        except TicketError as exc:
            error(str(exc))
            ok = False
            continue
        if json_out:
            emit({"visit": one, "ticket": ticket.number, "code": ticket.code})
        else:
            show(f"visit {one}: ticket {ticket.number:08d} (code {ticket.code})", highlight=False)
    finish(ok)


def _link(spec: Optional[str], lane: Optional[str], cfg: GateConfig) -> tuple[Any, int]:
    """A printer from --printer (tcp:HOST:PORT, serial:DEVICE[@BAUD], usb:DEVICE), else the
    configured printer of --lane (or of the first lane that has one)."""
    from hardware.printer.driver import PrinterLink
    from intake.ticket.desk import link_of

    if spec:
        kind, _, rest = spec.partition(":")
        if kind == "tcp" and rest:
            host, _, port = rest.rpartition(":")
            if not host or not port.isdigit():
                fail(f"--printer {spec}: expected tcp:HOST:PORT", 2)
            return PrinterLink("tcp", host=host, port=int(port)), 80
        if kind in ("serial", "usb") and rest:
            device, _, baud = rest.partition("@")
            if baud and not baud.isdigit():
                fail(f"--printer {spec}: the baud rate after @ is a number", 2)
            return PrinterLink(kind, device=device, baud=int(baud or 9600)), 80  # type: ignore[arg-type]
        fail(f"--printer {spec}: expected tcp:HOST:PORT, serial:DEVICE[@BAUD] or usb:DEVICE", 2)
    lanes = [ln for ln in cfg.lanes if ln.printer is not None and (lane is None or ln.id == lane)]
    if not lanes or lanes[0].printer is None:
        fail("no printer: give --printer, --pdf, or a --lane with [lanes.printer] in the config", 2)
    return link_of(lanes[0].printer), lanes[0].printer.paper_mm


@app.command("print")
def print_cmd(ref: str = typer.Argument(..., help="Ticket number, code or /t/<code> URL."),
              pdf: Optional[Path] = typer.Option(None, "--pdf", help="Write a PDF here instead of printing."),
              size: str = typer.Option("a5", "--size", help="PDF page: a5 or 80mm."),
              printer: Optional[str] = typer.Option(None, "--printer", help="tcp:HOST:PORT, serial:DEVICE[@BAUD] or usb:DEVICE."),
              lane: Optional[str] = typer.Option(None, "--lane", help="Use this lane's configured printer."),
              by: str = BY, db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY,
              json_out: bool = JSON) -> None:
    """Print a ticket; any print after the first that got out says 补打 / COPY."""
    from intake.ticket.printing import print_receipt, save_pdf

    if size not in ("a5", "80mm"):
        fail("--size is a5 or 80mm", 2)
    engine, cfg = _open(db, config, key)
    ticket = _ticket(engine, ref)
    common = {"base_url": cfg.ticket_url(), "tz": cfg.tickets.timezone, "by": by}
    if pdf is not None:
        done = save_pdf(engine, ticket.id, pdf, size=size, **common)  # type: ignore[arg-type]
    else:
        link, paper = _link(printer, lane, cfg)
        done = print_receipt(engine, ticket.id, link, paper_mm=paper, **common)
    rec = done.record
    if json_out:
        emit({"ticket": ticket.number, "reprint": rec.reprint, "output": rec.output, "target": rec.target,
              "ok": rec.ok, "error": rec.error})
    elif rec.ok:
        show(f"ticket {ticket.number:08d} {'reprinted (补打 / COPY)' if rec.reprint else 'printed'}: "
             f"{rec.output} -> {rec.target}", highlight=False)
    else:
        error(f"ticket {ticket.number:08d} not printed: {rec.error}")
    finish(rec.ok)


@app.command("verify")
def verify_cmd(ref: str = typer.Argument(..., help="The code from the QR, its URL, or the ticket number."),
               db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY,
               json_out: bool = JSON) -> None:
    """Check a ticket against the records. Exit 0 only when the chain vouches for it."""
    from intake.ticket.layout import layout
    from intake.ticket.verify import check_ticket

    from sqlalchemy.exc import OperationalError

    engine, cfg = _open(db, config, key, migrate=False)   # a verifier changes nothing, not even the schema
    try:
        check = check_ticket(engine, ref)
    except OperationalError as exc:   # no ticket table: not a gate database, or one before migration 0012
        fail(f"cannot read tickets there ({exc.orig}); is it a gate database at the newest migration?", 2)
    if check is None:
        fail(f"no ticket {ref!r} on this gate", 2)
    if json_out:
        emit(check.as_dict())
        finish(check.vouched)
    lay = layout(check.ticket, cfg.ticket_url(), cfg.tickets.timezone)
    table = Table(title=f"{lay.plant} 磅单 ticket {lay.number}")
    table.add_column("")
    table.add_column("")
    for row in lay.rows:
        table.add_row(row.label, row.value)
    table.add_row("打印 Prints", ", ".join(f"{p.output}{' (补打 COPY)' if p.reprint else ''}{'' if p.ok else ' FAILED'}"
                                          for p in check.prints) or "—")
    show(table)
    show(("[green]" if check.vouched else "[red]") + escape(check.summary()) + "[/]", soft_wrap=True)
    finish(check.vouched)
