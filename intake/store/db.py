"""Engine creation. SQLite runs in WAL mode with synchronous=FULL, asserted on every connection,
so a committed record survives a power cut; any other SQLAlchemy URL (PostgreSQL) works too.

Opening a store checks the file (`PRAGMA quick_check`), brings the schema to the newest Alembic
revision (backing the database up first when it already holds data) and binds the site's audit
key, without which no chained record can be written.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DatabaseError
from sqlmodel import create_engine

from intake.store import chain, tables  # noqa: F401  (registers the tables and the chain hooks)
from intake.store.private import private_file

# How long a write waits for another writer's lock before it fails (SQLite retries meanwhile).
# A lane waits this long at most; then it goes out of service ("store:locked") and retries.
BUSY_TIMEOUT_S: Final[float] = 10.0


class StoreError(RuntimeError):
    pass


def open_engine(url: str, key: bytes | None = None, *, migrate: bool = True, check: bool = True) -> Engine:
    engine = make_engine(url)
    if check:
        integrity_check(engine)
    if migrate:
        from intake.store.migrate import upgrade

        upgrade(engine)  # Alembic is the only way a table is made
    if key is not None:
        chain.attach_key(engine, key)
        if migrate:
            from intake.store.master_changes import seal_pending

            seal_pending(engine)   # once, after migration 0011: rows from before it say so
    return engine


POOLED_CONNECTIONS: Final[int] = 2


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    on_disk = bool(parsed.database) and parsed.database != ":memory:"
    if on_disk:
        private_file(Path(str(parsed.database)))   # 0600 before SQLite makes it 0644
    args: dict[str, Any] = {"check_same_thread": False}
    if "timeout" not in parsed.query:   # `?timeout=S` in the URL sets it for one database
        args["timeout"] = BUSY_TIMEOUT_S
    # Each kept connection grows its own page and statement caches (4-5 MB once the file is
    # large). Two are kept; a rarer third concurrent user gets one that is closed after use, so
    # a months-long run does not keep a connection per past concurrency peak.
    pool: dict[str, Any] = {"pool_size": POOLED_CONNECTIONS, "max_overflow": 10} if on_disk else {}
    engine = create_engine(url, connect_args=args, **pool)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def integrity_check(engine: Engine) -> None:
    """SQLite's quick_check at start: a damaged file must not take legal records."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    except DatabaseError as exc:  # a header too damaged even to open
        rows = [str(exc.orig)]
    if rows != ["ok"]:
        raise StoreError(f"database integrity check failed: {'; '.join(map(str, rows[:5]))}")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # We issue BEGIN ourselves (see _begin_immediate), so pysqlite must not.
    dbapi_conn.isolation_level = None
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


READ_ONLY: Final[str] = "intake_read_only"


def read_only(engine: Engine) -> Engine:
    """The same engine (pool, pragmas) for readers: its transactions begin DEFERRED, so a page
    that only reads never holds SQLite's write lock and never makes the gate's writes wait.
    Only for code that does not write (a write through it could fail with SQLITE_BUSY)."""
    return engine.execution_options(**{READ_ONLY: True})


def _begin_immediate(conn: Any) -> None:
    # Take the write lock when the transaction starts: the chain head read and the link written
    # in one transaction cannot interleave with another writer, and a reader-turned-writer never
    # fails with SQLITE_BUSY_SNAPSHOT. Read-only engines (read_only) take a plain snapshot.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
