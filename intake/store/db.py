"""Engine creation. SQLite runs in WAL mode with synchronous=FULL, asserted on every connection,
so a committed record survives a power cut; any other SQLAlchemy URL (PostgreSQL) works too."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel, create_engine

from intake.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)


class StoreError(RuntimeError):
    pass


def open_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True)
    else:
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    SQLModel.metadata.create_all(engine)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        mode = cur.execute("PRAGMA journal_mode").fetchone()[0]
        sync = cur.execute("PRAGMA synchronous").fetchone()[0]
    finally:
        cur.close()
    # 2 == FULL. A database that cannot give us these guarantees must not take records.
    if str(mode).lower() != "wal" or int(sync) != 2:
        raise StoreError(f"SQLite durability not in force (journal_mode={mode}, synchronous={sync})")
