"""The keyed hash chain (HMAC-SHA256 with the per-site key).

Any table class with `__chained__ = True` is chained automatically: after the ORM inserts such
a row, a `chainlink` row is written in the same transaction, so the record and its link commit
or vanish together. Each link's MAC covers its sequence number, the previous link's MAC, the
table, the primary key, a record UUID and the row's canonical form as read back from the
database. UPDATE and DELETE of chained rows (and of links) through the ORM are refused.

The key is bound to an engine (`attach_key`); a chained write on an engine without one fails.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from functools import lru_cache
from typing import Any, Iterable
from weakref import WeakKeyDictionary

from sqlalchemy import Table, and_, event, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlmodel import SQLModel

from intake.store.canonical import canonical_bytes
from intake.store.schema import import_table_modules
from intake.store.tables import ChainLink

GENESIS = "0" * 64
_KEYS: "WeakKeyDictionary[Engine, bytes]" = WeakKeyDictionary()
_PG_LOCK = 0x1A7C  # advisory lock id serialising chain appends on PostgreSQL


class ChainError(RuntimeError):
    pass


def attach_key(engine: Engine, key: bytes) -> None:
    _KEYS[engine] = key


def key_for(engine: Engine) -> bytes:
    try:
        return _KEYS[engine]
    except KeyError:
        raise ChainError("no audit key bound to this database; chained records cannot be written") from None


def is_chained(cls: type) -> bool:
    return bool(getattr(cls, "__chained__", False))


def _append_only(cls: type) -> bool:
    return is_chained(cls) or bool(getattr(cls, "__append_only__", False))


def chained_tables() -> list[Table]:
    """The chain's registry: every chained table of the gate, in dependency order. The table
    modules (intake.store.schema) are imported first, so the answer never depends on what the
    caller happened to import; sync, verify and the schema check all read it."""
    import_table_modules()
    names = {m.class_.__table__.name for m in SQLModel._sa_registry.mappers if is_chained(m.class_)}
    return [t for t in SQLModel.metadata.sorted_tables if t.name in names]


def row_pk(table: Table, values: dict[str, Any]) -> str:
    keys = [values[c.name] for c in table.primary_key.columns]
    return str(keys[0]) if len(keys) == 1 else json.dumps(keys)


def obj_pk(obj: Any) -> str:
    """A mapped object's primary key as the chain writes it (`row_pk`)."""
    table = type(obj).__table__
    return row_pk(table, {c.name: getattr(obj, c.key) for c in table.primary_key.columns})


def pk_value(column: Any, text: str) -> Any:
    """A primary key as its column's Python type (links store keys as text). String types such
    as SQLModel's AutoString report `object`: the text is the key."""
    kind = _python_type(column)
    return text if kind is object else kind(text)


@lru_cache(maxsize=256)
def _python_type(column: Any) -> type:
    # Asking a column type for its python_type costs tens of microseconds; pages check hundreds
    # of keys at a time (intake.store.integrity.check_rows).
    return column.type.python_type


def pk_clause(table: Table, pk: str):
    cols = list(table.primary_key.columns)
    values = [pk] if len(cols) == 1 else json.loads(pk)
    return and_(*(c == pk_value(c, v) for c, v in zip(cols, values)))


@lru_cache(maxsize=None)
def late_columns(table: str) -> frozenset[str]:
    """Columns a migration added to a chained table after rows were already linked
    (`__chain_late__` on the class). A NULL in one of them is left out of the MAC, so the rows
    linked before the column existed still verify; a value, once written, is covered."""
    for mapper in SQLModel._sa_registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table:
            return frozenset(getattr(mapper.class_, "__chain_late__", ()))
    return frozenset()


def link_mac(key: bytes, seq: int, prev: str, table: str, pk: str, record_uuid: str, row: dict[str, Any]) -> str:
    late = late_columns(table)
    if late:
        row = {k: v for k, v in row.items() if v is not None or k not in late}
    message = canonical_bytes({"seq": seq, "prev": prev, "table": table, "pk": pk, "uuid": record_uuid, "row": row})
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def read_row(conn: Connection, table: Table, pk: str) -> dict[str, Any] | None:
    """The row as the database holds it, typed by the table's columns: what gets hashed."""
    found = conn.execute(select(table).where(pk_clause(table, pk))).mappings().first()
    return dict(found) if found is not None else None


def head(conn: Connection) -> tuple[int, str]:
    last = conn.execute(select(ChainLink.seq, ChainLink.mac).order_by(ChainLink.seq.desc()).limit(1)).first()
    return (int(last[0]), str(last[1])) if last else (0, GENESIS)


def append(conn: Connection, key: bytes, table: Table, pks: Iterable[str]) -> int:
    """Link rows that are already inserted in this transaction; returns the new head seq."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
    # SQLite transactions begin IMMEDIATE (intake.store.db), so this head cannot move under us.
    seq, prev = head(conn)
    links = []
    for pk in pks:
        row = read_row(conn, table, pk)
        if row is None:
            raise ChainError(f"{table.name} {pk}: inserted row not found for chaining")
        seq += 1
        record_uuid = str(uuid.uuid4())
        prev = link_mac(key, seq, prev, table.name, pk, record_uuid, row)
        links.append({"seq": seq, "record_uuid": record_uuid, "table_name": table.name, "row_pk": pk, "mac": prev})
    if links:
        conn.execute(ChainLink.__table__.insert(), links)
    return seq


@event.listens_for(Session, "before_flush")
def _refuse_edits(session: Session, _ctx: UOWTransaction, _instances: object) -> None:
    for obj in session.dirty:
        if _append_only(type(obj)) and session.is_modified(obj, include_collections=False):
            raise ChainError(f"{type(obj).__name__} records are append-only: write a new record instead")
    for obj in session.deleted:
        if _append_only(type(obj)):
            raise ChainError(f"{type(obj).__name__} records are append-only and cannot be deleted")


@event.listens_for(Session, "after_flush")
def _chain_new(session: Session, _ctx: UOWTransaction) -> None:
    new = [obj for obj in session.new if is_chained(type(obj))]
    if not new:
        return
    conn = session.connection()
    key = key_for(conn.engine)
    order = {t.name: i for i, t in enumerate(SQLModel.metadata.sorted_tables)}
    by_table: dict[str, tuple[Table, list[str]]] = {}
    for obj in new:
        table = type(obj).__table__
        pk = obj_pk(obj)
        by_table.setdefault(table.name, (table, []))[1].append(pk)
    # Parents before children, then insertion order by key: a deterministic chain order.
    for name in sorted(by_table, key=lambda n: order.get(n, 1 << 30)):
        table, pks = by_table[name]
        append(conn, key, table, sorted(pks, key=_sort_key))


def _sort_key(pk: str) -> tuple[int, Any]:
    return (0, int(pk)) if pk.isdigit() else (1, pk)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete:
        for mapper in state.all_mappers:
            if _append_only(mapper.class_):
                raise ChainError(f"{mapper.class_.__name__} records are append-only")


# Settlement master data (suppliers, materials, vehicles, orders, tags) changes only with a
# chained change record: importing the module registers the listeners that write them, so any
# session that can write chained records writes those too.
import intake.store.master_changes  # noqa: E402,F401
