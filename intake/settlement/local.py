"""Settlement lines from the gate's own database, in chunks (constant memory at any size).

Two walks over the tickets, both keyset-paginated so the millionth line costs what the first
does: by weigh-out time for an export of a period (index `ix_ticket_weighed_out_at`, migration
0014), and by the ticket's id for the ERP's incremental API. A ticket's id is assigned in the
write transaction that inserts it and SQLite has one writer at a time, so ids become visible in
increasing order: a reader that has seen id N never later finds a new ticket below N.

Each chunk's rows (ticket, visit, weighings, decisions, lab results) are checked against their
chain links by a `RowCheck` (intake.web.verified.failing, or `chain_check` here for the CLI).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import func, tuple_
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from intake.lab.results import LabResult
from intake.settlement.lines import Delivery, Window, lab_summary
from intake.store.chain import ChainError, key_for
from intake.store.db import read_only
from intake.store.integrity import check_rows
from intake.store.tables import Decision, Visit, Weighing
from intake.ticket.tables import Ticket

# The ids among some ids of a table whose rows fail their chain links.
RowCheck = Callable[[type[SQLModel], list[Any]], set[Any]]

CHUNK = 500


def chain_check(engine: Engine) -> RowCheck:
    """A RowCheck against the engine's audit key; without a key nothing verifies."""
    try:
        key: bytes | None = key_for(engine)
    except ChainError:
        key = None

    def check(table: type[SQLModel], ids: list[Any]) -> set[Any]:
        wanted = [i for i in ids if i is not None]
        if key is None:
            return set(wanted)
        with read_only(engine).connect() as conn:
            bad = check_rows(engine, conn, key, table.__table__, wanted)  # type: ignore[attr-defined]
        return {i for i in wanted if str(i) in bad}

    return check


def deliveries(engine: Engine, w: Window, site: str, check: RowCheck | None, chunk: int = CHUNK) -> Iterator[Delivery]:
    """Every delivery weighed out in the window, oldest first, `chunk` tickets a query."""
    last: tuple[Any, int] | None = None
    while True:
        query = select(Ticket).where(col(Ticket.weighed_out_at) >= w.start, col(Ticket.weighed_out_at) < w.end)
        if w.supplier is not None:
            query = query.where(col(Ticket.supplier_code) == w.supplier)
        if last is not None:
            query = query.where(tuple_(col(Ticket.weighed_out_at), col(Ticket.id)) > tuple_(*last))
        query = query.order_by(col(Ticket.weighed_out_at), col(Ticket.id)).limit(chunk)
        with Session(read_only(engine)) as session:   # a chunk a transaction: the gate's WAL keeps moving
            tickets = list(session.exec(query))
            lines = _lines(session, tickets, site, check)
        yield from lines
        if len(tickets) < chunk:
            return
        last = (tickets[-1].weighed_out_at, int(tickets[-1].id or 0))


def count(engine: Engine, w: Window) -> int:
    query = select(func.count()).select_from(Ticket).where(
        col(Ticket.weighed_out_at) >= w.start, col(Ticket.weighed_out_at) < w.end)
    if w.supplier is not None:
        query = query.where(col(Ticket.supplier_code) == w.supplier)
    with Session(read_only(engine)) as session:
        return int(session.exec(query).one())


def page(engine: Engine, after: int, limit: int, site: str, check: RowCheck | None) -> tuple[list[Delivery], int, bool]:
    """The deliveries whose ticket id is above `after`, in id order: (lines, last id, more)."""
    query = select(Ticket).where(col(Ticket.id) > after).order_by(col(Ticket.id)).limit(limit + 1)
    with Session(read_only(engine)) as session:
        tickets = list(session.exec(query))
        more = len(tickets) > limit
        tickets = tickets[:limit]
        lines = _lines(session, tickets, site, check)
    return lines, (tickets[-1].id or after) if tickets else after, more


def _lines(session: Session, tickets: Sequence[Ticket], site: str, check: RowCheck | None) -> list[Delivery]:
    if not tickets:
        return []
    visits = [t.visit_id for t in tickets]
    decisions: dict[str, list[Decision]] = {}
    for d in session.exec(select(Decision).where(col(Decision.visit_id).in_(visits)).order_by(col(Decision.id))):
        decisions.setdefault(d.visit_id, []).append(d)
    weighings: dict[str, list[int]] = {}
    for wid, vid in session.exec(select(Weighing.id, Weighing.visit_id).where(col(Weighing.visit_id).in_(visits))):
        weighings.setdefault(vid, []).append(int(wid or 0))
    codes = [t.blind_code for t in tickets if t.blind_code is not None]
    labs: dict[int, list[LabResult]] = {}
    if codes:
        for r in session.exec(select(LabResult).where(col(LabResult.blind_code).in_(codes)).order_by(col(LabResult.id))):
            labs.setdefault(r.blind_code, []).append(r)
    bad = _failing(check, tickets, visits, decisions, weighings, labs)
    out = []
    for t in tickets:
        line = _line(t, site, decisions.get(t.visit_id, []), labs.get(t.blind_code, []) if t.blind_code is not None else [],
                     checked=check is not None)
        rows = {("ticket", t.id), ("visit", t.visit_id), *(("weighing", i) for i in weighings.get(t.visit_id, [])),
                *(("decision", d.id) for d in decisions.get(t.visit_id, [])),
                *(("lab_result", r.id) for r in (labs.get(t.blind_code, []) if t.blind_code is not None else []))}
        out.append(line.withheld() if rows & bad else line)
    return out


def _failing(check: RowCheck | None, tickets: Sequence[Ticket], visits: list[str], decisions: dict[str, list[Decision]],
             weighings: dict[str, list[int]], labs: dict[int, list[LabResult]]) -> set[tuple[str, Any]]:
    """(table, id) of every row of the chunk that fails its chain link."""
    if check is None:
        return set()
    parts: list[tuple[str, type[SQLModel], list[Any]]] = [
        ("ticket", Ticket, [t.id for t in tickets]), ("visit", Visit, visits),
        ("weighing", Weighing, [i for ids in weighings.values() for i in ids]),
        ("decision", Decision, [d.id for ds in decisions.values() for d in ds]),
        ("lab_result", LabResult, [r.id for rs in labs.values() for r in rs]),
    ]
    return {(name, i) for name, table, ids in parts if ids for i in check(table, ids)}


def _line(t: Ticket, site: str, decisions: list[Decision], labs: list[LabResult], checked: bool) -> Delivery:
    assert t.id is not None and t.weighed_out_at is not None   # issue_ticket refuses a visit not weighed out
    lab, lab_text = lab_summary([(r.property, r.value, r.unit, r.verdict) for r in labs])
    current = decisions[-1] if decisions else None
    return Delivery(
        site=site, record_id=t.visit_id, ticket=t.number, order=t.order_code, supplier=t.supplier_code,
        material=t.material_code, lane=t.lane, plate=t.plate, weighed_in_at=t.weighed_in_at,
        weighed_out_at=t.weighed_out_at, gross_kg=t.gross_kg, second_kg=t.second_kg, second_kind=t.second_kind,
        received=t.received, net_kg=t.net_kg if t.received else 0,
        verdict=current.verdict if current else t.verdict, gate_verdict=t.verdict, reasons=list(t.reasons or []),
        lab=lab, lab_results=lab_text, verified=True if checked else None)
