"""Issuing a ticket: its facts from the chained records, its number, its unguessable code.

The facts are computed here and only here (`facts_of`), both when a ticket is issued and when
it is verified, so the two cannot drift apart. "As of" a moment: a review recorded after the
ticket was issued does not make the ticket wrong, it is a later record.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.store.chain import key_for
from intake.store.records import was_received
from intake.store.stored_tare import StoredTareUse
from intake.store.tables import (
    ChainLink, Decision, DeliveryOrder, Material, Sample, Supplier, Vehicle, Visit, Weighing, utcnow,
)
from intake.ticket.tables import Ticket

CODE_LEN = 16          # base32 characters: 80 bits, beyond guessing at any request rate
_CODE = re.compile(r"^[A-Z2-7]{16}$")
# The facts `verify` recomputes and compares. Display names (supplier, material) are copies
# for the paper: a supplier renamed later is not a changed delivery; the ticket's own chain
# link still covers them.
COMPARED = ("visit_id", "lane", "plate", "supplier_code", "order_code", "material_code", "gross_kg",
            "second_kg", "second_kind", "tare_source", "tare_at", "net_kg", "received", "weighed_in_at",
            "weighed_out_at", "indicator", "scale_max_kg", "scale_e_kg", "verdict", "reasons", "blind_code")


class TicketError(RuntimeError):
    """No ticket can be issued for this visit (unknown, not weighed out)."""


def ticket_code(key: bytes, number: int, visit_id: str) -> str:
    """The code the QR carries: a MAC of the ticket's number and visit under a key derived
    from the site's audit key. Nobody without the key can make one that verifies, and it says
    nothing about the delivery by itself (the URL carries no plate, supplier or weight)."""
    subkey = hmac.new(key, b"intake ticket code v1", hashlib.sha256).digest()
    mac = hmac.new(subkey, f"{number}|{visit_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode("ascii")[:CODE_LEN]


def normalise_ref(ref: str) -> str:
    """A ticket reference as typed or scanned: a code, a /t/<code> URL, or a number
    ("00000042", "No. 42"). Codes are case-insensitive and may be grouped with dashes."""
    text = ref.strip().rstrip("/")
    if "/t/" in text:
        text = text.rsplit("/t/", 1)[1].split("?", 1)[0].split("#", 1)[0]
    return text.replace("-", "").replace(" ", "").upper()


def find_ticket(session: Session, ref: str) -> Ticket | None:
    text = normalise_ref(ref)
    if _CODE.match(text):
        return session.exec(select(Ticket).where(Ticket.code == text)).first()
    digits = text.removeprefix("NO.").lstrip("0") or "0"
    if digits.isdigit():
        return session.exec(select(Ticket).where(Ticket.number == int(digits))).first()
    return None


def facts_of(session: Session, visit_id: str, as_of: datetime) -> dict[str, Any]:
    """The delivery as the records say it was at `as_of` (Ticket column names)."""
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise TicketError(f"no visit {visit_id}")
    vehicle = session.get(Vehicle, visit.vehicle_id)
    order = session.get(DeliveryOrder, visit.order_id)
    supplier = session.get(Supplier, order.supplier_id) if order else None
    material = session.get(Material, order.material_id) if order else None
    weighings = list(session.exec(select(Weighing).where(Weighing.visit_id == visit_id)
                                  .order_by(col(Weighing.id))))
    first = {kind: next((w for w in weighings if w.kind == kind), None) for kind in ("in", "out")}
    w_in, w_out = first["in"], first["out"]
    decisions = [d for d in session.exec(select(Decision).where(Decision.visit_id == visit_id)
                                         .order_by(col(Decision.id)))
                 if _aware(d.decided_at) <= _aware(as_of)]
    sample = session.exec(select(Sample).where(Sample.visit_id == visit_id).order_by(col(Sample.id))).first()
    # One weighing: no weigh-out, the delivery ended on the vehicle's stored tare (a chained record).
    stored = None if w_out else session.exec(select(StoredTareUse).where(StoredTareUse.visit_id == visit_id)).first()
    if stored is not None and _aware(stored.recorded_at) > _aware(as_of):
        stored = None
    out_at = w_out.recorded_at if w_out else stored.recorded_at if stored else None
    received = was_received(decisions, out_at)
    gross = w_in.weight_kg if w_in else None
    second = w_out.weight_kg if w_out else stored.tare_kg if stored else None
    net = gross - second if received and gross is not None and second is not None else 0
    scale = w_out or w_in
    last = decisions[-1] if decisions else None
    return {
        "visit_id": visit.id, "lane": visit.lane,
        "plate": vehicle.plate if vehicle else "?",
        "supplier_code": supplier.code if supplier else "?", "supplier_name": supplier.name if supplier else "?",
        "order_code": order.code if order else "?",
        "material_code": material.code if material else "?",
        "material_name": material.name if material else "?", "material_name_zh": material.name_zh if material else "?",
        "gross_kg": gross, "second_kg": second,
        "second_kind": "tare" if received else "exit",
        "tare_source": ("stored" if stored else "weighed") if received and second is not None else None,
        "tare_at": _aware(stored.tare_at) if stored and received else None,
        "net_kg": net, "received": received,
        "weighed_in_at": _aware(w_in.recorded_at) if w_in else None,
        "weighed_out_at": _aware(out_at) if out_at else None,
        "indicator": scale.indicator if scale else None,
        "scale_max_kg": scale.scale_max_kg if scale else None,
        "scale_e_kg": scale.scale_e_kg if scale else None,
        "verdict": last.verdict if last else None,
        "reasons": list(last.reasons) if last else [],
        "blind_code": sample.blind_code if sample else None,
    }


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _next_number(session: Session) -> int:
    """One past the highest number ever issued. The links count too: a ticket row deleted from
    a SQL shell leaves its link (and a broken chain), and its number is still not handed out."""
    top = session.exec(select(func.max(Ticket.number))).one() or 0
    links = session.exec(select(func.count()).select_from(ChainLink)
                         .where(ChainLink.table_name == Ticket.__tablename__)).one()
    return max(int(top), int(links)) + 1


def issue_ticket(engine: Engine, visit_id: str, plant: str, by: str = "gate") -> Ticket:
    """The visit's ticket: the one already issued, or a new one (committed, chained).
    Raises TicketError for a visit that has not weighed out: there is no delivery to state."""
    key = key_for(engine)
    with Session(engine) as session:
        existing = session.exec(select(Ticket).where(Ticket.visit_id == visit_id)).first()
        if existing is not None:
            return existing
        now = utcnow()
        facts = facts_of(session, visit_id, now)
        if facts["weighed_out_at"] is None:
            raise TicketError(f"visit {visit_id} has not weighed out: no ticket yet")
        # SQLite transactions begin IMMEDIATE (intake.store.db): no other writer can take the
        # same number between this read and the commit; the unique constraint backs it up.
        number = _next_number(session)
        ticket = Ticket(number=number, code=ticket_code(key, number, visit_id), plant=plant,
                        issued_at=now, issued_by=by, **facts)
        session.add(ticket)
        session.commit()
        session.refresh(ticket)
        return ticket


def pending_visits(engine: Engine) -> list[str]:
    """Visits weighed out without a ticket (an issue that failed at the gate), oldest first."""
    with Session(engine) as session:
        ticketed = select(Ticket.visit_id)
        rows = session.exec(select(Weighing.visit_id).where(Weighing.kind == "out",
                                                            col(Weighing.visit_id).not_in(ticketed))
                            .order_by(col(Weighing.id))).all()
        stored = session.exec(select(StoredTareUse.visit_id).where(col(StoredTareUse.visit_id).not_in(ticketed))
                              .order_by(col(StoredTareUse.id))).all()
    return list(dict.fromkeys([*rows, *stored]))
