"""Record IDs taken from a URL or a form: plain ASCII digits within SQLite's INTEGER range.

`str.isdigit()` admits "²" and other Unicode digits that `int()` then refuses, and SQLite
raises OverflowError above 2**63-1: either would be a 500. Anything outside is a 4xx instead.
"""
from __future__ import annotations

from typing import Annotated, Final

from fastapi import HTTPException, Path, Query

MAX_ID: Final[int] = 2**63 - 1
_MAX_DIGITS: Final[int] = len(str(MAX_ID))

# For path and query parameters: FastAPI refuses anything outside with a 422.
PathId = Annotated[int, Path(ge=0, le=MAX_ID)]
QueryId = Annotated[int, Query(ge=0, le=MAX_ID)]


def parse_id(raw: str | None) -> int | None:
    """The ID `raw` spells, or None when it is not plain ASCII digits within range."""
    if not raw or len(raw) > _MAX_DIGITS or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def require_id(raw: str | None, name: str) -> int:
    """parse_id, or 400 naming the field (never echoing the value)."""
    value = parse_id(raw)
    if value is None:
        raise HTTPException(status_code=400, detail=f"{name}: not a record id")
    return value
