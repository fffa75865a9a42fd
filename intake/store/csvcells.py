"""CSV cells a spreadsheet will not run (CSV injection, OWASP).

A cell starting with = + - @ TAB or CR is a formula to Excel and LibreOffice. A spreadsheet
opened with `;` or `,` as its delimiter splits a cell at those characters, so every piece after
one is a cell start too: each such piece gets the same `'` prefix, which the spreadsheet
shows as text.
"""
from __future__ import annotations

import re
from typing import Final

TRIGGERS: Final[str] = "=+-@\t\r"
# A piece start: the cell start, or just after a separator (spaces a spreadsheet may trim between).
_PIECE_START: Final[re.Pattern[str]] = re.compile(r"(^|[;,])( *)(?=[" + re.escape(TRIGGERS) + "])")


def neutralise(value: object) -> object:
    """`value` with a `'` before every cell or separated piece that starts like a formula."""
    if not isinstance(value, str):
        return value
    return _PIECE_START.sub(lambda m: f"{m.group(1)}{m.group(2)}'", value)
