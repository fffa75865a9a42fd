"""Rows read together with their own chain links, and checked: one query a table.

`check_rows` (intake.store.integrity) checks rows a caller already has by reading them again,
then their links, then the links before those: three queries a table. A page of settlement
lines (five tables) paid fifteen such queries on top of its own reads. Here the rows, their
links and the links before them come back in one query, and the rows the caller uses are the
rows that were checked: nothing is read twice.

A row fails when it has no link, when its MAC does not hold against the link before it, or
when any of its links fails (a second link forged for the same row fails as well). Without a
key every row fails: unverifiable is not verified. Failures are remembered by the integrity
state exactly as `check_rows` remembers them (the lanes close on them).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, Table, and_, cast, select
from sqlalchemy.engine import Connection, Engine

from intake.store.chain import GENESIS, ChainError, key_for, link_mac, row_pk
from intake.store.tables import ChainLink

_LINK = ChainLink.__table__.alias("own_link")     # type: ignore[attr-defined]
_PREV = ChainLink.__table__.alias("prev_link")    # type: ignore[attr-defined]
_FIELDS = {"_l_seq": _LINK.c.seq, "_l_uuid": _LINK.c.record_uuid, "_l_mac": _LINK.c.mac, "_l_prev": _PREV.c.mac}


@dataclass(frozen=True)
class Checked:
    """The rows read (as the database holds them, typed by the table's columns), in the
    order asked for, and the primary keys (as the chain writes them) of those that fail."""
    rows: list[dict[str, Any]]
    bad: set[str]


def key_or_none(engine: Engine) -> bytes | None:
    try:
        return key_for(engine)
    except ChainError:
        return None


def read_checked(engine: Engine, conn: Connection, key: bytes | None, table: Table, where: ColumnElement[bool],
                 order_by: Sequence[Any] = (), limit: int | None = None) -> Checked:
    """The rows of `table` that match `where` (at most `limit`, in `order_by`), each checked
    against its own link. `engine` is the one whose integrity state records a failure."""
    [pk] = list(table.primary_key.columns)
    inner = select(table).where(where).order_by(*order_by)
    if limit is not None:
        inner = inner.limit(limit)
    rows_q = inner.subquery("wanted")
    own = and_(_LINK.c.table_name == table.name, _LINK.c.row_pk == cast(rows_q.c[pk.name], String))
    query = (select(rows_q, *[c.label(name) for name, c in _FIELDS.items()])
             .select_from(rows_q.outerjoin(_LINK, own).outerjoin(_PREV, _PREV.c.seq == _LINK.c.seq - 1))
             .order_by(*[rows_q.c[_name_of(o)] for o in order_by]))
    rows: dict[str, dict[str, Any]] = {}
    bad: set[str] = set()
    names = [c.name for c in table.columns]
    for r in conn.execute(query).mappings():
        row = {name: r[name] for name in names}
        key_text = row_pk(table, row)
        rows.setdefault(key_text, row)
        if not _holds(key, table.name, key_text, row, r):
            bad.add(key_text)
    if bad and key is not None:   # no key proves nothing wrong with the records: nothing to remember
        _remember(engine, table.name, bad)
    return Checked(list(rows.values()), bad)


def _name_of(order: Any) -> str:
    """The column name of an order_by item (a column, or column.desc())."""
    element = getattr(order, "element", order)
    return str(element.name)


def _holds(key: bytes | None, table: str, pk: str, row: dict[str, Any], r: Any) -> bool:
    if key is None or r["_l_seq"] is None:
        return False
    seq = int(r["_l_seq"])
    previous = GENESIS if seq == 1 else r["_l_prev"]
    return previous is not None and link_mac(key, seq, previous, table, pk, r["_l_uuid"], row) == r["_l_mac"]


def _remember(engine: Engine, table: str, bad: set[str]) -> None:
    from intake.store.integrity import state_for

    state = state_for(engine)
    state.bad_rows.update((table, pk) for pk in bad)
    state.fail(f"{table} {', '.join(sorted(bad)[:5])}: row does not match its chain link")
