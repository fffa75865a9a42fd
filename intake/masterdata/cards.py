"""RFID cards of vehicles, by staff: bind a card to a vehicle, withdraw a lost one. A binding
is master data a payment rests on (the card names the truck, the truck its open order), so it
goes through the ORM under `as_actor`: each change is a chained change record of `vehicletag`
(intake.store.master_changes). A card is never deleted; a withdrawn card may be bound again.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.ident.tags import VehicleTag
from intake.masterdata.edits import EditRefused, _commit, _latest
from intake.store.master_changes import MasterChange, as_actor
from intake.store.tables import Vehicle

# Card numbers as the readers report them: hex digits (EM4100: 10, Mifare UIDs: 8 or 14).
_TAG = re.compile(r"[0-9A-F]{8,20}")


def clean_tag(text: str | None) -> str:
    """A card number as the reader reports it: upper-case hex, no spaces or colons."""
    value = unicodedata.normalize("NFKC", text or "").strip().upper().replace(" ", "").replace(":", "")
    if not _TAG.fullmatch(value):
        raise EditRefused(f"card: {text!r} is not a card number (8 to 20 hex digits, as the reader shows it)")
    return value


def bind_card(engine: Engine, plate: str, tag: str, by: str, why: str) -> MasterChange:
    """Bind card `tag` to the vehicle `plate`. Refused while the card is active on a vehicle
    (withdraw it there first): one card names one truck."""
    tag = clean_tag(tag)
    with as_actor(Session(engine), by, why) as session:
        vehicle = session.exec(select(Vehicle).where(Vehicle.plate == plate.strip().upper())).first()
        if vehicle is None or vehicle.id is None:
            raise EditRefused(f"no vehicle {plate!r}: add it first")
        card = session.exec(select(VehicleTag).where(VehicleTag.tag == tag)).first()
        if card is not None and card.active:
            other = session.get(Vehicle, card.vehicle_id)
            where = "this vehicle" if card.vehicle_id == vehicle.id else f"{other.plate if other else card.vehicle_id}"
            raise EditRefused(f"card {tag} is already bound to {where}; withdraw it first")
        if card is None:
            card = VehicleTag(tag=tag, vehicle_id=vehicle.id)
        else:
            card.vehicle_id, card.active = vehicle.id, True
        session.add(card)
        _commit(session, f"card {tag}")
        assert card.id is not None
        return _latest(session, "vehicletag", card.id)


def withdraw_card(engine: Engine, tag: str, by: str, why: str) -> MasterChange:
    """A lost or returned card stops identifying its vehicle (kept, marked inactive)."""
    tag = clean_tag(tag)
    with as_actor(Session(engine), by, why) as session:
        card = session.exec(select(VehicleTag).where(VehicleTag.tag == tag)).first()
        if card is None or not card.active:
            raise EditRefused(f"card {tag} is not bound to any vehicle")
        card.active = False
        session.add(card)
        _commit(session, f"card {tag}")
        assert card.id is not None
        return _latest(session, "vehicletag", card.id)


def cards_by_vehicle(reader: Engine) -> dict[int, list[str]]:
    """The active cards of each vehicle, for the pages."""
    with Session(reader) as session:
        rows = session.exec(select(VehicleTag).where(col(VehicleTag.active)).order_by(col(VehicleTag.tag))).all()
    out: dict[int, list[str]] = {}
    for row in rows:
        out.setdefault(row.vehicle_id, []).append(row.tag)
    return out
