"""What kind of store failure stopped a record, and whether the store takes records again.

The lane driver turns a failed write into an out-of-service lane whose kiosk says why
(`store:full`, `store:locked`, ...) and asks `probe` at intervals until the store is back.
"""
from __future__ import annotations

import errno
import os
import shutil
from typing import Final, Literal

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

StoreFault = Literal["full", "locked", "read_only", "io", "error"]

# Below this much free space on the database's filesystem the store counts as full: one truck's
# records are a few kilobytes, so this leaves room for the records of trucks already on the deck.
MIN_FREE_BYTES: Final[int] = 1 << 20

_BY_SQLITE_CODE: Final[dict[str, StoreFault]] = {
    "SQLITE_FULL": "full",
    "SQLITE_BUSY": "locked",
    "SQLITE_LOCKED": "locked",
    "SQLITE_READONLY": "read_only",
    "SQLITE_IOERR": "io",
    "SQLITE_CANTOPEN": "io",
}
_BY_ERRNO: Final[dict[int, StoreFault]] = {
    errno.ENOSPC: "full", errno.EFBIG: "full", errno.EDQUOT: "full", errno.EROFS: "read_only",
    errno.EACCES: "read_only", errno.EIO: "io",
}


def classify(exc: BaseException) -> StoreFault:
    """The kind of failure, from SQLite's primary result code or the OS error number."""
    orig = getattr(exc, "orig", None) or exc
    name = str(getattr(orig, "sqlite_errorname", "") or "")
    for code, kind in _BY_SQLITE_CODE.items():
        if name == code or name.startswith(code + "_"):   # extended codes: SQLITE_BUSY_SNAPSHOT, ...
            return kind
    number = getattr(orig, "errno", None)
    if isinstance(number, int) and number in _BY_ERRNO:
        return _BY_ERRNO[number]
    message = str(orig).lower()   # PostgreSQL and older drivers: the message is all there is
    if "disk is full" in message or "no space left" in message:
        return "full"
    if "locked" in message or "lock timeout" in message:
        return "locked"
    if "readonly" in message or "read-only" in message:
        return "read_only"
    return "error"


def probe(engine: Engine) -> StoreFault | None:
    """None when the store would take a record now; else what still stops it.

    A write transaction is opened (so a lock held elsewhere shows), pages are allocated beyond
    the free list (so a full database or a read-only file shows) and then rolled back: the
    probe leaves nothing behind. SQLite writes a page to disk only at commit, so an exhausted
    filesystem is checked directly as well."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        folder = os.path.dirname(os.path.abspath(engine.url.database))
        try:
            if shutil.disk_usage(folder).free < MIN_FREE_BYTES:
                return "full"
        except OSError as exc:
            return classify(exc)
    try:
        with engine.connect() as conn, conn.begin() as tx:
            if engine.dialect.name == "sqlite":
                free = int(conn.execute(text("PRAGMA freelist_count")).scalar() or 0)
                size = int(conn.execute(text("PRAGMA page_size")).scalar() or 4096)
                conn.execute(text("CREATE TABLE intake_store_probe (b BLOB)"))
                conn.execute(text("INSERT INTO intake_store_probe VALUES (zeroblob(:n))"),
                             {"n": (free + 4) * size})
            tx.rollback()
    except SQLAlchemyError as exc:
        return classify(exc)
    return None
