"""Master data a payment rests on changes only through chained change records.

A vehicle's stored tare, an order's supplier / material / vehicle / expected quantity / open
state, a tag's vehicle, a supplier's or material's identity: the settlement facts. Every INSERT
or UPDATE of such a row through the ORM writes a `master_change` record in the same flush (who,
why, the fields' values before and after), hash-chained like every other record. The row itself
stays editable, but `intake audit verify` compares each row with its latest change record: an
UPDATE from outside the gate (a SQL shell) leaves the row differing from its record, a row
inserted behind the gate's back has none, and a change record altered or deleted breaks the
chain. Bulk UPDATE and any DELETE of these rows through the ORM are refused.

Who and why come from the session (`as_actor`); the gate's own changes (a tare refreshed at
weigh-out) say so. Rows that existed before change records did are sealed once, at the first
start with the key after migration 0011 (`seal_pending`), in records that say they were sealed.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, ClassVar, Iterator, Optional, TypeVar

from sqlalchemy import JSON, Column, Index, Table, event, inspect, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlmodel import Field, SQLModel

from intake.store.canonical import canon
from intake.store.chain import ChainError, append, key_for, obj_pk, read_row, row_pk
from intake.store.schema import import_table_modules
from intake.store.tables import utcnow

log = logging.getLogger(__name__)
_S = TypeVar("_S", bound=Session)

# table -> the columns a payment rests on. Other columns (a supplier's display name aside) are
# free to change; these change only with a record.
WATCHED: dict[str, tuple[str, ...]] = {
    "supplier": ("code", "name"),
    "material": ("code", "name", "name_zh"),
    "vehicle": ("plate", "supplier_id", "stored_tare_kg", "stored_tare_at"),
    "deliveryorder": ("code", "supplier_id", "material_id", "vehicle_id", "expected_kg", "is_open"),
    "vehicletag": ("tag", "vehicle_id", "active"),
}
SEALED_WHY = "sealed: the row existed before master-data change records (migration 0011)"


class MasterChange(SQLModel, table=True):
    """One change of a settlement fact: the watched fields before (None: the row was created)
    and after, who made it and why. Append-only, hash-chained."""
    __tablename__ = "master_change"
    __chained__: ClassVar[bool] = True
    __table_args__ = (Index("ix_master_change_row", "table_name", "row_pk", "id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    table_name: str = Field(max_length=32)
    row_pk: str = Field(max_length=64)
    old: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    new: dict = Field(default_factory=dict, sa_column=Column(JSON))
    by: str = Field(max_length=200)
    why: str = Field(max_length=500)
    at: datetime = Field(default_factory=utcnow)


class SealPending(SQLModel, table=True):
    """Rows migration 0011 found already there: sealed (linked, or given a first change record)
    at the next start with the key, then removed from here. Not chained: it is a to-do list."""
    __tablename__ = "seal_pending"
    table_name: str = Field(primary_key=True, max_length=32)
    row_pk: str = Field(primary_key=True, max_length=64)


def as_actor(session: _S, by: str, why: str) -> _S:
    """Name who changes master data in this session and why; every change record says so."""
    session.info["master_by"], session.info["master_why"] = by, why
    return session


def watched_values(row: dict[str, Any], table: str) -> dict[str, Any]:
    """The watched fields of a row as read from the database, in canonical (JSON) form."""
    return canon({name: row.get(name) for name in WATCHED[table]})


def _watched_table(obj: object) -> str | None:
    name = getattr(type(obj), "__tablename__", None)
    return name if name in WATCHED else None


def _changed(session: Session) -> Iterator[tuple[Table, str]]:
    for obj in [*session.new, *session.dirty]:
        name = _watched_table(obj)
        if name is None or (obj in session.dirty and not session.is_modified(obj, include_collections=False)):
            continue
        yield type(obj).__table__, obj_pk(obj)  # type: ignore[attr-defined]


def latest_values(conn: Connection, table: str, pk: str) -> dict[str, Any] | None:
    found = conn.execute(select(MasterChange.__table__.c.new)  # type: ignore[attr-defined]
                         .where(MasterChange.__table__.c.table_name == table,  # type: ignore[attr-defined]
                                MasterChange.__table__.c.row_pk == pk)  # type: ignore[attr-defined]
                         .order_by(MasterChange.__table__.c.id.desc()).limit(1)).first()  # type: ignore[attr-defined]
    return None if found is None else _json(found[0])


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def write_change(conn: Connection, table: Table, pk: str, by: str, why: str, *, sealed: bool = False) -> bool:
    """Record the row's watched fields as they are now (read back from the database) and link
    the record; False when nothing watched changed since the last record."""
    row = read_row(conn, table, pk)
    if row is None:
        return False
    new = watched_values(row, table.name)
    before = None if sealed else latest_values(conn, table.name, pk)
    if before == new and not sealed:
        return False
    mc = MasterChange.__table__  # type: ignore[attr-defined]
    done = conn.execute(mc.insert().values(table_name=table.name, row_pk=pk, old=before, new=new,
                                           by=by, why=why, at=utcnow()))
    inserted = done.inserted_primary_key
    assert inserted is not None   # a single-row INSERT always reports its key
    append(conn, key_for(conn.engine), mc, [str(inserted[0])])
    return True


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, _ctx: UOWTransaction) -> None:
    changed = list(_changed(session))
    if not changed:
        return
    by = str(session.info.get("master_by", "gate"))
    why = str(session.info.get("master_why", "changed by the gate"))
    conn = session.connection()
    for table, pk in changed:
        write_change(conn, table, pk, by, why)


@event.listens_for(Session, "before_flush")
def _guard(session: Session, _ctx: UOWTransaction, _instances: object) -> None:
    for obj in session.deleted:
        if _watched_table(obj):
            raise ChainError(f"{type(obj).__name__} rows are settlement master data: "
                             "close or deactivate them instead of deleting")
    for obj in session.dirty:
        name = _watched_table(obj)
        if name is not None and session.is_modified(obj, include_collections=False):
            _refuse_laundering(session, obj, name)


def _refuse_laundering(session: Session, obj: object, table: str) -> None:
    """A row edited behind the gate's back must not be changed through it: the new record
    would take the forged values in as fact. The row as loaded must match its latest record."""
    state = sa_inspect(obj)
    loaded = {}
    for name in WATCHED[table]:
        history = state.attrs[name].history
        loaded[name] = (history.deleted or history.unchanged or [getattr(obj, name)])[0]
    pk = obj_pk(obj)
    recorded = latest_values(session.connection(), table, pk)
    if recorded is not None and canon(loaded) != recorded:
        raise ChainError(f"{table} {pk} differs from its change record (edited outside the gate): "
                         "run intake audit verify; it is not changed until that is resolved")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete:
        for mapper in state.all_mappers:
            if getattr(mapper.class_, "__tablename__", None) in WATCHED:
                raise ChainError(f"{mapper.class_.__name__}: bulk changes leave no change "
                                      "records; change rows one by one through the ORM")


def seal_pending(engine: Engine) -> int:
    """Seal what migration 0011 found: link old visits, give old master rows a first record
    that says it was sealed. Runs once (the list empties); returns how many rows it sealed."""
    import_table_modules()
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
    with engine.begin() as conn:
        pending = sorted(pending_seals(conn))
        if not pending:
            return 0
        key_for(conn.engine)   # no key, no sealing: fail before writing anything
        by_table: dict[str, list[str]] = {}
        for name, pk in pending:
            by_table.setdefault(name, []).append(pk)
        for name, pks in by_table.items():
            if name in WATCHED:
                for pk in pks:
                    write_change(conn, tables[name], pk, "migration 0011", SEALED_WHY, sealed=True)
            else:
                append(conn, key_for(conn.engine), tables[name], sorted(pks))
        conn.execute(SealPending.__table__.delete())  # type: ignore[attr-defined]
    log.warning("sealed %d rows made before their tables were chained: %s", len(pending),
                ", ".join(f"{n} {len(p)}" for n, p in sorted(by_table.items())))
    return len(pending)


def pending_seals(conn: Connection) -> set[tuple[str, str]]:
    """(table, pk) of the rows migration 0011 listed that are not sealed yet."""
    sp = SealPending.__table__  # type: ignore[attr-defined]
    return {(str(n), str(p)) for n, p in conn.execute(select(sp.c.table_name, sp.c.row_pk))}


def drift(conn: Connection) -> Iterator[tuple[str, str, str, str]]:
    """(kind, table, pk, detail) for each watched row that differs from its latest change
    record (`master_drift`) or has none (`master_unrecorded`)."""
    import_table_modules()
    if not inspect(conn).has_table(MasterChange.__tablename__):
        return   # a database from before migration 0011: nothing recorded, nothing to compare
    latest: dict[tuple[str, str], Any] = {}
    mc = MasterChange.__table__  # type: ignore[attr-defined]
    for name, pk, new in conn.execute(select(mc.c.table_name, mc.c.row_pk, mc.c.new).order_by(mc.c.id)):
        latest[(name, pk)] = _json(new)
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
    pending = pending_seals(conn)
    for name in WATCHED:
        table = tables[name]
        for row in conn.execute(select(table)).mappings():
            pk = row_pk(table, dict(row))
            recorded = latest.get((name, pk))
            if recorded is None:
                if (name, pk) not in pending:
                    yield "master_unrecorded", name, pk, "row has no change record"
                continue
            now = watched_values(dict(row), name)
            differ = sorted(k for k in now if now[k] != recorded.get(k))
            if differ:
                yield "master_drift", name, pk, "differs from its change record: " + ", ".join(
                    f"{k} {recorded.get(k)!r} -> {now[k]!r}" for k in differ)
