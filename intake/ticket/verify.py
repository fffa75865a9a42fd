"""Does the chain vouch for a ticket? Three questions, all of which must hold:

1. the code is the one the site's key makes for this ticket's number and visit (not forged);
2. the ticket row, its prints and every record it was made from (visit, weighings, decisions,
   sample) match their own chain links (nobody edited them with SQL);
3. the facts recomputed from those records as of the ticket's issue equal the ticket's.

Used by `intake ticket verify` and by the public /t/<code> page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import hmac
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from intake.store.chain import ChainError, key_for
from intake.store.integrity import check_rows
from intake.store.tables import Decision, Sample, Visit, Weighing
from intake.store.stored_tare import StoredTareUse
from intake.ticket.issue import COMPARED, TicketError, facts_of, find_ticket, ticket_code
from intake.ticket.tables import Ticket, TicketPrint


@dataclass
class TicketCheck:
    ticket: Ticket
    prints: list[TicketPrint]
    code_ok: bool
    bad_rows: dict[str, list[str]] = field(default_factory=dict)   # table -> keys failing their link
    differs: dict[str, tuple[Any, Any]] = field(default_factory=dict)   # fact -> (ticket, records)
    problem: str | None = None     # why it could not be checked at all (no key)

    @property
    def vouched(self) -> bool:
        return self.problem is None and self.code_ok and not self.bad_rows and not self.differs

    def summary(self) -> str:
        if self.vouched:
            return "the chain vouches for this ticket"
        parts = [self.problem] if self.problem else []
        if not self.code_ok:
            parts.append("the code is not this site's code for this ticket")
        parts += [f"{table} {', '.join(pks)} does not match its chain link" for table, pks in self.bad_rows.items()]
        parts += [f"{name}: ticket says {a!r}, records say {b!r}" for name, (a, b) in self.differs.items()]
        return "the chain does NOT vouch for this ticket: " + "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        t = self.ticket
        facts = {name: getattr(t, name) for name in Ticket.model_fields if name not in ("id",)}
        return {"vouched": self.vouched, "summary": self.summary(), "code_ok": self.code_ok,
                "bad_rows": self.bad_rows, "differs": {k: list(v) for k, v in self.differs.items()},
                "ticket": facts, "prints": [{"reprint": p.reprint, "output": p.output, "target": p.target,
                                             "ok": p.ok, "at": p.at} for p in self.prints]}


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def check_ticket(engine: Engine, ref: str, reader: Engine | None = None) -> TicketCheck | None:
    """The check of the ticket `ref` names (code, URL or number); None when there is none.
    `reader`: an engine to read through (a staff or public page's read-only engine)."""
    with Session(reader or engine) as session:
        ticket = find_ticket(session, ref)
        if ticket is None:
            return None
        prints = list(session.exec(select(TicketPrint).where(TicketPrint.ticket_id == ticket.id)
                                   .order_by(col(TicketPrint.id))))
        try:
            key = key_for(engine)
        except ChainError as exc:
            return TicketCheck(ticket, prints, code_ok=False, problem=str(exc))
        code_ok = hmac.compare_digest(ticket.code, ticket_code(key, ticket.number, ticket.visit_id))
        check = TicketCheck(ticket, prints, code_ok)
        try:
            facts = facts_of(session, ticket.visit_id, _aware(ticket.issued_at))
        except TicketError:
            facts = {}
        for name in COMPARED:
            have, want = _aware(getattr(ticket, name)), facts.get(name)
            if have != want:
                check.differs[name] = (have, want)
        rows = _source_rows(session, ticket, prints)
    with (reader or engine).connect() as conn:
        for table, pks in rows:
            bad = check_rows(engine, conn, key, table.__table__, pks)  # type: ignore[attr-defined]
            if bad:
                check.bad_rows[str(table.__tablename__)] = sorted(bad)
    return check


def _source_rows(session: Session, ticket: Ticket,
                 prints: list[TicketPrint]) -> list[tuple[type[SQLModel], list[Any]]]:
    visit = ticket.visit_id
    ids = {table: list(session.exec(select(table.id).where(table.visit_id == visit)))  # type: ignore[attr-defined]
           for table in (Weighing, Decision, Sample, StoredTareUse)}
    return [(Ticket, [ticket.id]), (TicketPrint, [p.id for p in prints]), (Visit, [visit]),
            (Weighing, ids[Weighing]), (Decision, ids[Decision]), (Sample, ids[Sample]),
            (StoredTareUse, ids[StoredTareUse])]
