"""ESC/POS real-time status (DLE EOT n), decoded: whether a receipt printer can print now.

A printer answers `DLE EOT n` with one byte at once, even mid-job, whatever it is doing. Bits 1
and 4 are always set and bits 0 and 7 always clear, which is how an answer is told from noise.
  n = 2 (off-line cause): bit 2 cover open, bit 3 paper being fed by the button, bit 5 printing
        stopped for paper end, bit 6 an error occurred
  n = 4 (roll paper sensor): bits 2-3 paper near its end, bits 5-6 paper end
A printer that does not answer (some raw-port adapters swallow it) has no known status: the job
is sent and the print record says whether it got there.
"""
from __future__ import annotations

from dataclasses import dataclass

DLE_EOT = b"\x10\x04"
OFFLINE, PAPER = 2, 4
QUERY = DLE_EOT + bytes([OFFLINE]) + DLE_EOT + bytes([PAPER])


class StatusByteError(ValueError):
    """A byte that is not an ESC/POS status answer."""


@dataclass(frozen=True)
class PrinterStatus:
    cover_open: bool = False
    paper_out: bool = False
    paper_near_end: bool = False
    error: bool = False

    @property
    def problems(self) -> list[str]:
        """Why it cannot print now; empty when it can (paper near its end still prints)."""
        found = [("cover_open", self.cover_open), ("paper_out", self.paper_out), ("printer_error", self.error)]
        return [name for name, on in found if on]


def _checked(byte: int) -> int:
    if not 0 <= byte <= 0xFF or byte & 0x93 != 0x12:
        raise StatusByteError(f"not a status byte: {byte:#04x}")
    return byte


def decode(offline: int, paper: int) -> PrinterStatus:
    """The answers to DLE EOT 2 and DLE EOT 4, in that order."""
    off, roll = _checked(offline), _checked(paper)
    return PrinterStatus(cover_open=bool(off & 0x04), paper_out=bool(off & 0x20 or roll & 0x60),
                         paper_near_end=bool(roll & 0x0C), error=bool(off & 0x40))


def encode(status: PrinterStatus) -> bytes:
    """What a printer in this state answers to QUERY (the simulator's side)."""
    off = 0x12 | (0x04 if status.cover_open else 0) | (0x20 if status.paper_out else 0) | (0x40 if status.error else 0)
    roll = 0x12 | (0x0C if status.paper_near_end else 0) | (0x60 if status.paper_out else 0)
    return bytes([off, roll])
