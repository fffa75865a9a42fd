"""The ticket as a PDF: A5 for the office printer, 80 mm wide for a roll printer's PDF driver.

reportlab's built-in CID font STSong-Light (Adobe-GB1) draws the Chinese text without any font
file on the machine: a PDF viewer supplies the face, so the file stays small and renders the
same on every gate PC. The QR code is embedded as a lossless bitmap of its modules (nearest
neighbour, so the modules stay sharp at any zoom) and can be pulled back out of the file.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

import segno
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from hardware.printer.escpos import break_lines
from intake.ticket.layout import REPRINT, SCAN, TITLE, TicketLayout

FONT = "STSong-Light"
Size = Literal["a5", "80mm"]
ROLL_W = 80 * mm
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
# Adobe-GB1 has no glyph at U+00B7 (the middle dot in plates like 沪A·S1001); its GB2312 dot is
# U+30FB, which every viewer draws. Only the PDF's text changes, never the record.
_GLYPHS = str.maketrans({"\u00b7": "\u30fb"})


def qr_png(data: str, scale: int = 10) -> bytes:
    """The QR code as PNG bytes: error level M, the standard 4-module quiet zone."""
    buf = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Break a value into lines that fit `width` points at `size`."""
    return break_lines(text, lambda line: pdfmetrics.stringWidth(line, FONT, size) > width)


class _Geometry:
    def __init__(self, size: Size) -> None:
        self.size = size
        self.width = A5[0] if size == "a5" else ROLL_W
        self.margin = 12 * mm if size == "a5" else 4 * mm
        self.font = 10.0 if size == "a5" else 8.0
        self.lead = self.font * 1.45
        self.qr = 45 * mm if size == "a5" else 40 * mm
        # On A5 a label and its value share a line; on a roll the value goes under its label.
        self.split = size == "a5"
        self.value_x = self.margin + (48 * mm if self.split else 3 * mm)
        self.value_w = self.width - self.margin - self.value_x

    def row_lines(self, lay: TicketLayout) -> list[tuple[str, list[str]]]:
        return [(row.label, _wrap(row.value.translate(_GLYPHS), self.value_w, self.font)) for row in lay.rows]

    def height(self, lay: TicketLayout) -> float:
        if self.size == "a5":
            return A5[1]
        body = sum(len(v) + (0 if self.split else 1) for _, v in self.row_lines(lay)) * self.lead
        return self.margin * 2 + 30 * mm + body + self.qr + 12 * mm


def render_pdf(lay: TicketLayout, size: Size = "a5") -> bytes:
    g = _Geometry(size)
    height = g.height(lay)
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=(g.width, height), pageCompression=1)
    pdf.setTitle(f"{TITLE[0]} {TITLE[1]} {lay.number}{' ' + '/'.join(REPRINT) if lay.reprint else ''}")
    y = height - g.margin - g.font * 1.4
    pdf.setFont(FONT, g.font * 1.4)
    pdf.drawCentredString(g.width / 2, y, lay.plant.translate(_GLYPHS))
    y -= g.lead * 1.5
    pdf.drawCentredString(g.width / 2, y, f"{TITLE[0]}  {TITLE[1]}")
    if lay.reprint:
        y -= g.lead * 1.6
        pdf.setFont(FONT, g.font * 1.6)
        pdf.drawCentredString(g.width / 2, y, f"** {REPRINT[0]} / {REPRINT[1]} **")
    y -= g.lead * 0.8
    pdf.setLineWidth(0.6)
    pdf.line(g.margin, y, g.width - g.margin, y)
    y -= g.lead
    pdf.setFont(FONT, g.font)
    for label, values in g.row_lines(lay):
        pdf.drawString(g.margin, y, label)
        if not g.split:
            y -= g.lead
        for value in values:
            pdf.drawString(g.value_x, y, value)
            y -= g.lead
    pdf.line(g.margin, y + g.lead * 0.4, g.width - g.margin, y + g.lead * 0.4)
    y -= g.qr
    pdf.drawImage(ImageReader(io.BytesIO(qr_png(lay.verify_url))), (g.width - g.qr) / 2, y, g.qr, g.qr)
    y -= g.lead
    pdf.drawCentredString(g.width / 2, y, f"{SCAN[0]} {SCAN[1]}: {lay.grouped_code}")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def write_pdf(lay: TicketLayout, path: Path, size: Size = "a5") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_pdf(lay, size))
    return path
