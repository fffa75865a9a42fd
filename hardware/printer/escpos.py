"""ESC/POS command bytes for the 58/80 mm thermal receipt printers kiosks use.

A builder, no device: `Receipt` collects text, styles, a QR code and a cut, and `bytes()`
returns what goes down the wire. Chinese text is sent in GB18030 with the printer in Chinese
character mode (FS &), which is what the printers sold in China (Xprinter, HPRT, SPRT, Epson
TM-T82 CN models) expect out of the box; ASCII is a subset of GB18030, so one encoding serves
both languages. The QR code uses the printer's own QR generator (GS ( k, model 2), so the
code is printed at the head's full resolution rather than as a raster image.

Commands used (Epson ESC/POS reference):
  ESC @            initialise              FS &  / FS .   Chinese character mode on / off
  ESC a n          align 0 left 1 centre   ESC E n        bold on/off
  GS ! n           character size (width-1 << 4 | height-1)
  GS ( k           QR: 167 module size, 169 error level, 180 store data, 181 print
  ESC d n          print and feed n lines  GS V 66 n      feed n and partial cut
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Literal

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"
ENCODING = "gb18030"
Align = Literal["left", "centre"]
_ALIGN = {"left": 0, "centre": 1}
_QR_LEVEL = {"L": 48, "M": 49, "Q": 50, "H": 51}
# Characters per line in the standard 12x24 font: 32 on 58 mm paper, 48 on 80 mm.
COLUMNS = {58: 32, 80: 48}


def qr_commands(data: bytes, module: int = 6, level: str = "M") -> bytes:
    """Store `data` in the printer's QR symbol buffer and print it (model 2)."""
    if not 1 <= module <= 16:
        raise ValueError("QR module size is 1..16 dots")
    if len(data) > 7089:
        raise ValueError("QR data too long for one symbol")

    def fn(cn: int, fn_code: int, payload: bytes) -> bytes:
        size = len(payload) + 2   # cn and fn count towards pL pH
        return GS + b"(k" + bytes([size & 0xFF, size >> 8, cn, fn_code]) + payload

    return (fn(49, 65, b"\x32\x00")                     # model 2
            + fn(49, 67, bytes([module]))              # module size
            + fn(49, 69, bytes([_QR_LEVEL[level]]))    # error correction
            + fn(49, 80, b"\x30" + data)               # store
            + fn(49, 81, b"\x30"))                     # print


def display_width(text: str) -> int:
    """Columns a line takes: CJK (and full-width) characters are two columns wide."""
    return sum(2 if ord(ch) >= 0x1100 and not 0xFF61 <= ord(ch) <= 0xFFDC else 1 for ch in text)


def fit(text: str, columns: int) -> list[str]:
    """Break a line into pieces of at most `columns` (a printer would wrap mid-character)."""
    return break_lines(text, lambda line: display_width(line) > columns)


def break_lines(text: str, too_wide: Callable[[str], bool]) -> list[str]:
    """Break `text` into lines none of which is `too_wide`: at the last space where the line
    has one (English), else between any two characters (Chinese has no spaces). A line
    broken between characters does not start with the space it broke at."""
    parts, current = [], ""
    for ch in text:
        if current and too_wide(current + ch):
            head, space, tail = current.rpartition(" ")
            if space and head:
                parts.append(head)
                current = tail + ch
            else:
                parts.append(current)
                current = ch.lstrip()
        else:
            current += ch
    return [*parts, current]


class Receipt:
    """Build a receipt top to bottom; `bytes()` is the complete job, ending in a cut."""

    def __init__(self, paper_mm: int = 80) -> None:
        if paper_mm not in COLUMNS:
            raise ValueError(f"paper width {paper_mm} mm: 58 or 80")
        self.columns = COLUMNS[paper_mm]
        self._out = bytearray(ESC + b"@" + FS + b"&")   # reset, then Chinese mode on

    def text(self, line: str, *, bold: bool = False, size: int = 1, align: Align = "left") -> "Receipt":
        """One line, broken to the paper's width. Characters GB18030 cannot hold would print
        as garbage: refused here (UnicodeEncodeError)."""
        if not 1 <= size <= 8:
            raise ValueError("character size 1..8")
        self._out += ESC + b"a" + bytes([_ALIGN[align]])
        self._out += ESC + b"E" + bytes([1 if bold else 0])
        self._out += GS + b"!" + bytes([(size - 1) << 4 | (size - 1)])
        for piece in fit(line, self.columns // size):
            self._out += piece.encode(ENCODING, errors="strict") + LF
        if bold or size != 1:
            self._out += ESC + b"E\x00" + GS + b"!\x00"
        return self

    def pair(self, label: str, value: str) -> "Receipt":
        """A label on the left and its value right-aligned on the same line when they fit,
        else the value on its own line (a long supplier name must not be cut off)."""
        gap = self.columns - display_width(label) - display_width(value)
        if gap >= 1:
            return self.text(label + " " * gap + value)
        return self.text(label).text("  " + value)

    def rule(self, char: str = "-") -> "Receipt":
        return self.text(char * self.columns)

    def qr(self, data: str, module: int = 6) -> "Receipt":
        self._out += ESC + b"a\x01" + qr_commands(data.encode("ascii"), module) + LF + ESC + b"a\x00"
        return self

    def feed(self, lines: int = 1) -> "Receipt":
        self._out += ESC + b"d" + bytes([max(0, min(lines, 255))])
        return self

    def bytes(self) -> bytes:
        """The whole job: Chinese mode off again, feed past the tear bar, partial cut."""
        return bytes(self._out) + FS + b"." + GS + b"V" + bytes([66, 3])
