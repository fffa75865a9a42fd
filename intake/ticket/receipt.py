"""The ticket as ESC/POS bytes for a kiosk's thermal roll printer (58 or 80 mm)."""
from __future__ import annotations

from hardware.printer.escpos import Receipt, display_width, fit
from intake.ticket.layout import REPRINT, SCAN, TITLE, TicketLayout


def receipt_bytes(lay: TicketLayout, paper_mm: int = 80) -> bytes:
    job = Receipt(paper_mm)
    job.text(lay.plant, bold=True, align="centre")
    job.text(f"{TITLE[0]} {TITLE[1]}", bold=True, size=2 if paper_mm == 80 else 1, align="centre")
    if lay.reprint:
        # Double size, so a copy is never mistaken for the original at a glance.
        job.text(f"{REPRINT[0]} / {REPRINT[1]}", bold=True, size=2, align="centre")
    job.rule()
    for row in lay.rows:
        if display_width(row.label) + display_width(row.value) + 1 <= job.columns:
            job.pair(row.label, row.value)
        else:   # label on its line, the value under it, broken to the paper's width
            job.text(row.label)
            for part in fit(row.value, job.columns - 2):
                job.text("  " + part)
    job.rule()
    job.qr(lay.verify_url, module=6 if paper_mm == 80 else 4)
    job.text(f"{SCAN[0]} {SCAN[1]}", align="centre")
    job.text(lay.grouped_code, align="centre")
    job.feed(2)
    return job.bytes()

