"""Settlement lines from the gate's own database, in chunks (constant memory at any size).

Two walks over the tickets, both keyset-paginated so the millionth line costs what the first
does: by weigh-out time for an export of a period (index `ix_ticket_weighed_out_at`, migration
0014), and by the ticket's id for the ERP's incremental API. A ticket's id is assigned in the
write transaction that inserts it and SQLite has one writer at a time, so ids become visible in
increasing order: a reader that has seen id N never later finds a new ticket below N.

Each chunk's rows (ticket, visit, weighings, decisions, lab results) are read together with
their chain links and checked in the same query, one query a table (intake.store.linked): a
page of 100 lines is five queries, and the rows checked are the rows the lines are made of.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, select, tuple_
from sqlalchemy.engine import Connection, Engine

from intake.lab.results import LabResult
from intake.settlement.lines import Delivery, Window, lab_summary
from intake.store.db import read_only
from intake.store.linked import Checked, key_or_none, read_checked
from intake.store.stored_tare import StoredTareUse
from intake.store.tables import Decision, Visit, Weighing
from intake.ticket.tables import Ticket

CHUNK = 500
TICKET: Table = Ticket.__table__            # type: ignore[attr-defined]
VISIT: Table = Visit.__table__              # type: ignore[attr-defined]
WEIGHING: Table = Weighing.__table__        # type: ignore[attr-defined]
DECISION: Table = Decision.__table__        # type: ignore[attr-defined]
LAB: Table = LabResult.__table__            # type: ignore[attr-defined]
STORED: Table = StoredTareUse.__table__     # type: ignore[attr-defined]


@dataclass(frozen=True)
class ChainCheck:
    """Check every row a line rests on against its chain link, with this engine's audit key
    (None: nothing verifies); a failure is remembered by this engine's integrity state."""
    engine: Engine
    key: bytes | None


def chain_check(engine: Engine) -> ChainCheck:
    return ChainCheck(engine, key_or_none(engine))


RowCheck = ChainCheck   # the name callers knew


def deliveries(engine: Engine, w: Window, site: str, check: ChainCheck | None, chunk: int = CHUNK) -> Iterator[Delivery]:
    """Every delivery weighed out in the window, oldest first, `chunk` tickets a query."""
    last: tuple[Any, int] | None = None
    while True:
        where = [TICKET.c.weighed_out_at >= w.start, TICKET.c.weighed_out_at < w.end]
        if w.supplier is not None:
            where.append(TICKET.c.supplier_code == w.supplier)
        if last is not None:
            where.append(tuple_(TICKET.c.weighed_out_at, TICKET.c.id) > tuple_(*last))
        with read_only(engine).connect() as conn:   # a chunk a transaction: the gate's WAL keeps moving
            tickets = _read(conn, check, TICKET, and_(*where), (TICKET.c.weighed_out_at, TICKET.c.id), chunk)
            lines = _lines(conn, tickets, site, check)
        yield from lines
        if len(tickets.rows) < chunk:
            return
        last = (tickets.rows[-1]["weighed_out_at"], int(tickets.rows[-1]["id"]))


def count(engine: Engine, w: Window) -> int:
    query = select(func.count()).select_from(TICKET).where(
        TICKET.c.weighed_out_at >= w.start, TICKET.c.weighed_out_at < w.end)
    if w.supplier is not None:
        query = query.where(TICKET.c.supplier_code == w.supplier)
    with read_only(engine).connect() as conn:
        return int(conn.execute(query).scalar_one())


def page(engine: Engine, after: int, limit: int, site: str, check: ChainCheck | None) -> tuple[list[Delivery], int, bool]:
    """The deliveries whose ticket id is above `after`, in id order: (lines, last id, more)."""
    with read_only(engine).connect() as conn:
        tickets = _read(conn, check, TICKET, TICKET.c.id > after, (TICKET.c.id,), limit + 1)
        more = len(tickets.rows) > limit
        shown = Checked(tickets.rows[:limit], tickets.bad)
        lines = _lines(conn, shown, site, check)
    last = int(shown.rows[-1]["id"]) if shown.rows else after
    return lines, last, more


def _read(conn: Connection, check: ChainCheck | None, table: Table, where: ColumnElement[bool],
          order_by: Sequence[Any] = (), limit: int | None = None) -> Checked:
    """Rows with their check in the same query; unchecked (nothing bad) without a ChainCheck."""
    if check is not None:
        return read_checked(check.engine, conn, check.key, table, where, order_by, limit)
    query = select(table).where(where).order_by(*order_by)
    if limit is not None:
        query = query.limit(limit)
    return Checked([dict(r) for r in conn.execute(query).mappings()], set())


def _lines(conn: Connection, tickets: Checked, site: str, check: ChainCheck | None) -> list[Delivery]:
    """The chunk's lines: its visits, weighings, decisions and lab results read (and checked)
    in one query a table; a line any of whose rows fails is withheld."""
    if not tickets.rows:
        return []
    visits = [t["visit_id"] for t in tickets.rows]
    codes = [t["blind_code"] for t in tickets.rows if t["blind_code"] is not None]
    visit_rows = _read(conn, check, VISIT, VISIT.c.id.in_(visits))
    weighing_rows = _read(conn, check, WEIGHING, WEIGHING.c.visit_id.in_(visits), (WEIGHING.c.id,))
    decision_rows = _read(conn, check, DECISION, DECISION.c.visit_id.in_(visits), (DECISION.c.id,))
    none = Checked([], set())   # no query for what the chunk cannot have
    lab_rows = _read(conn, check, LAB, LAB.c.blind_code.in_(codes), (LAB.c.id,)) if codes else none
    stored = [t["visit_id"] for t in tickets.rows if t["tare_source"] == "stored"]
    stored_rows = _read(conn, check, STORED, STORED.c.visit_id.in_(stored)) if stored else none
    by_visit: dict[str, list[tuple[str, str]]] = {}     # visit -> (table, pk) of its rows
    for s in stored_rows.rows:
        by_visit.setdefault(s["visit_id"], []).append(("stored_tare_use", str(s["id"])))
    decisions: dict[str, list[Mapping[str, Any]]] = {}
    for w in weighing_rows.rows:
        by_visit.setdefault(w["visit_id"], []).append(("weighing", str(w["id"])))
    for d in decision_rows.rows:
        decisions.setdefault(d["visit_id"], []).append(d)
        by_visit.setdefault(d["visit_id"], []).append(("decision", str(d["id"])))
    labs: dict[int, list[Mapping[str, Any]]] = {}
    for r in lab_rows.rows:
        labs.setdefault(r["blind_code"], []).append(r)
    bad = {(name, pk) for name, part in (("ticket", tickets), ("visit", visit_rows), ("weighing", weighing_rows),
                                         ("decision", decision_rows), ("lab_result", lab_rows),
                                         ("stored_tare_use", stored_rows)) for pk in part.bad}
    out = []
    for t in tickets.rows:
        mine = labs.get(t["blind_code"], []) if t["blind_code"] is not None else []
        line = _line(t, site, decisions.get(t["visit_id"], []), mine, checked=check is not None)
        rows = {("ticket", str(t["id"])), ("visit", t["visit_id"]), *by_visit.get(t["visit_id"], []),
                *(("lab_result", str(r["id"])) for r in mine)}
        out.append(line.withheld() if rows & bad else line)
    return out


def _line(t: Mapping[str, Any], site: str, decisions: list[Mapping[str, Any]], labs: list[Mapping[str, Any]],
          checked: bool) -> Delivery:
    assert t["weighed_out_at"] is not None   # issue_ticket refuses a visit not weighed out
    lab, lab_text = lab_summary([(r["property"], r["value"], r["unit"], r["verdict"]) for r in labs])
    current = decisions[-1] if decisions else None
    return Delivery(
        site=site, record_id=t["visit_id"], ticket=t["number"], order=t["order_code"], supplier=t["supplier_code"],
        material=t["material_code"], lane=t["lane"], plate=t["plate"], weighed_in_at=t["weighed_in_at"],
        weighed_out_at=t["weighed_out_at"], gross_kg=t["gross_kg"], second_kg=t["second_kg"],
        second_kind=t["second_kind"], received=t["received"], net_kg=t["net_kg"] if t["received"] else 0,
        verdict=current["verdict"] if current else t["verdict"], gate_verdict=t["verdict"],
        reasons=list(t["reasons"] or []), lab=lab, lab_results=lab_text, verified=True if checked else None)
