"""Bulk rows into a gate's SQLite file for the large benchmarks (bench_review, bench_settlement):
each table's named columns, and a filler for every NOT NULL column the script does not name, so
a benchmark keeps working as the schema grows under it."""
from __future__ import annotations

import sqlite3


def fillers(conn: sqlite3.Connection, table: str, given: tuple[str, ...]) -> dict[str, object]:
    """0 for numbers, "" for text, for each NOT NULL column without a default not in `given`."""
    out: dict[str, object] = {}
    for _cid, name, kind, notnull, default, pk in conn.execute(f"PRAGMA table_info({table})"):
        if notnull and default is None and not pk and name not in given:
            out[name] = 0 if any(k in kind.upper() for k in ("INT", "FLOAT", "REAL", "BOOL", "NUM")) else ""
    return out


def flush(conn: sqlite3.Connection, rows: dict[str, list[tuple]], columns: dict[str, tuple[str, ...]]) -> None:
    """Insert and clear the rows kept per table, in the order `columns` names the tables."""
    for table, named in columns.items():
        extra = fillers(conn, table, named)
        names = ", ".join([*named, *extra])
        marks = ", ".join("?" * (len(named) + len(extra)))
        tail = tuple(extra.values())
        conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", [row + tail for row in rows[table]])
        rows[table].clear()
