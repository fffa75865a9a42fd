"""Finding loads by what staff have in hand: a plate, an order code, a visit id (or its first
characters, as printed on a ticket) or the blind code on a sample bag.

`terms` is pure: what one search box's text may mean. `matching_visits` turns those into one
subquery of visit ids, each branch an indexed lookup (vehicle.plate and deliveryorder.code
unique, visit.id the key, visit.vehicle_id and sample.blind_code indexed: an order's visits are
found through its vehicle, as visit.order_id has no index of its own), so
the queue's search costs what the matches cost, not what the history holds.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select, union
from sqlmodel import col

from intake.store.tables import DeliveryOrder, Sample, Vehicle, Visit

MAX_TERM: Final[int] = 64
# Above any character a prefix can continue with: [p, p + TOP) is "starts with p" on an index.
TOP: Final[str] = "\U0010ffff"
PLATE_DOT: Final[str] = "·"
_VISIT = re.compile(r"[0-9a-f-]{4,36}")
_CODE = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class Terms:
    plates: tuple[str, ...] = ()       # prefixes of vehicle.plate
    orders: tuple[str, ...] = ()       # prefixes of deliveryorder.code
    visit: str | None = None           # a prefix of visit.id
    blind_code: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.plates or self.orders or self.visit or self.blind_code is not None)


def terms(text: str) -> Terms:
    """Every reading of the search text: `沪AS1001` also as `沪A·S1001` (the dot is often
    left out), digits also as a blind code, hex also as the start of a visit id."""
    raw = "".join(text.split())[:MAX_TERM]
    if not raw:
        return Terms()
    upper = raw.upper()
    plates = [upper]
    if PLATE_DOT not in upper and len(upper) > 2 and not upper[0].isascii():
        plates.append(upper[:2] + PLATE_DOT + upper[2:])
    orders = list(dict.fromkeys((raw, upper)))
    lower = raw.lower()
    return Terms(plates=tuple(plates), orders=tuple(orders),
                 visit=lower if _VISIT.fullmatch(lower) else None,
                 blind_code=int(raw) if _CODE.fullmatch(raw) else None)


def _prefix(column: Any, value: str) -> Any:
    return (column >= value) & (column < value + TOP)


def matching_visits(found: Terms) -> Any:
    """One subquery of the visit ids any reading matches (nothing, for no terms)."""
    branches: list[Any] = []
    for plate in found.plates:
        vehicles = select(col(Vehicle.id)).where(_prefix(col(Vehicle.plate), plate))
        branches.append(select(col(Visit.id)).where(col(Visit.vehicle_id).in_(vehicles)))
    for code in found.orders:
        orders = select(col(DeliveryOrder.id)).where(_prefix(col(DeliveryOrder.code), code))
        vehicles = select(col(DeliveryOrder.vehicle_id)).where(_prefix(col(DeliveryOrder.code), code))
        branches.append(select(col(Visit.id)).where(col(Visit.vehicle_id).in_(vehicles), col(Visit.order_id).in_(orders)))
    if found.visit:
        branches.append(select(col(Visit.id)).where(_prefix(col(Visit.id), found.visit)))
    if found.blind_code is not None:
        branches.append(select(col(Sample.visit_id)).where(col(Sample.blind_code) == found.blind_code))
    if not branches:
        return select(col(Visit.id)).where(col(Visit.id) != col(Visit.id))
    return branches[0] if len(branches) == 1 else union(*branches)
