"""Printing a ticket on paper (ESC/POS) or as a PDF, each print a chained record.

The first print that reached its target is the original; every print after it says 补打 /
COPY, on paper and in the PDF, so a second "original" cannot be had from the gate. A print
that failed (printer off, out of paper) is recorded too and does not count as the original.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hardware.printer.driver import PrinterError, PrinterLink
from intake.ticket.layout import TicketLayout, layout
from intake.ticket.pdf import Size, render_pdf
from intake.ticket.receipt import receipt_bytes
from intake.ticket.tables import Ticket, TicketPrint

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Printed:
    record: TicketPrint
    layout: TicketLayout
    data: bytes          # what went to the printer or into the file


def already_printed(session: Session, ticket_id: int) -> bool:
    return session.exec(select(TicketPrint.id).where(TicketPrint.ticket_id == ticket_id,
                                                     TicketPrint.ok == True)).first() is not None  # noqa: E712


def _record(engine: Engine, row: TicketPrint) -> TicketPrint:
    with Session(engine) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
        return row


def _prepare(engine: Engine, ticket_id: int, base_url: str, tz: str) -> tuple[Ticket, TicketLayout]:
    with Session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise KeyError(ticket_id)
        reprint = already_printed(session, ticket_id)
    return ticket, layout(ticket, base_url, tz, reprint=reprint)


def print_receipt(engine: Engine, ticket_id: int, link: PrinterLink, *, base_url: str, tz: str = "UTC",
                  paper_mm: int = 80, by: str = "gate") -> Printed:
    """Send the ticket to a thermal printer; the print record says whether it got there."""
    ticket, lay = _prepare(engine, ticket_id, base_url, tz)
    job = receipt_bytes(lay, paper_mm)
    error = None
    try:
        status = link.send(job)
        if status is not None and status.paper_near_end:
            log.warning("printer %s: paper near its end; ticket %s printed", link.describe(), ticket.number)
    except PrinterError as exc:
        error = str(exc)[:500]
    row = TicketPrint(ticket_id=ticket_id, reprint=lay.reprint, output="escpos", target=link.describe(),
                      ok=error is None, error=error, by=by)
    return Printed(_record(engine, row), lay, job)


def save_pdf(engine: Engine, ticket_id: int, path: Path, *, size: Size = "a5", base_url: str,
             tz: str = "UTC", by: str = "gate") -> Printed:
    """Write the ticket as a PDF file (A5 or 80 mm): a print like any other."""
    ticket, lay = _prepare(engine, ticket_id, base_url, tz)
    data = render_pdf(lay, size)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    row = TicketPrint(ticket_id=ticket_id, reprint=lay.reprint, output=f"pdf-{size}", target=path.name, by=by)
    return Printed(_record(engine, row), lay, data)
