"""The gate's outbox is its audit chain: `chainlink` rows in sequence order, each naming a row
of a chained table. Reading a batch = the links after a sequence number, their rows read back
the way the verifier reads them, and the visit context the central queries need."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from intake.store.audit import _rows_for, _Tables  # the verifier's row reading: the centre must see its bytes
from intake.store.canonical import canon
from intake.store.chain import chained_tables
from intake.store.tables import ChainLink, DeliveryOrder, Material, Supplier, Vehicle, Visit
from intake.sync.message import RecordMessage


def import_chained_modules() -> None:
    """Register every chained table's class (the chain's registry), so rows are typed by their
    classes (the verifier reflects tables it does not know, and so do we, through _Tables)."""
    chained_tables()


@dataclass(frozen=True)
class OutboxBatch:
    records: tuple[RecordMessage, ...]
    gap_at: int | None          # the first missing local sequence number, if the chain has a hole here


def local_head(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(ChainLink.seq))).scalar() or 0)


def read_batch(engine: Engine, after: int, limit: int) -> OutboxBatch:
    """Up to `limit` contiguous records after `after`. A hole in the local sequence ends the
    batch before it: nothing past a gap is sent, and the gap is reported."""
    import_chained_modules()
    with engine.connect() as conn:
        links = conn.execute(select(ChainLink.__table__).where(ChainLink.seq > after)
                             .order_by(ChainLink.seq).limit(limit)).all()
        gap_at = None
        contiguous = []
        for expected, link in enumerate(links, start=after + 1):
            if link.seq != expected:
                gap_at = expected
                break
            contiguous.append(link)
        rows = _rows_for(conn, _Tables(conn), contiguous)
        contexts = _contexts(conn, {str(r["visit_id"]) for r in rows.values() if r.get("visit_id")})
    records = []
    for link in contiguous:
        row = rows.get((link.table_name, link.row_pk))
        if row is None:
            # The row behind a link is gone: the chain is broken here; the centre must not get
            # a record it cannot verify, so stop and report it like a gap.
            gap_at = link.seq
            break
        visit = row.get("visit_id")
        records.append(RecordMessage(seq=link.seq, uuid=link.record_uuid, table=link.table_name, pk=link.row_pk,
                                     row=canon(row), mac=link.mac,
                                     context=contexts.get(str(visit)) if visit else None))
    return OutboxBatch(tuple(records), gap_at)


def _contexts(conn: Connection, visit_ids: set[str]) -> dict[str, dict[str, Any]]:
    if not visit_ids:
        return {}
    query = (select(Visit.id, Visit.lane, Visit.opened_at, Vehicle.plate, Supplier.code.label("supplier"),
                    Material.code.label("material"), DeliveryOrder.code.label("order"))
             .join(Vehicle, Vehicle.id == Visit.vehicle_id)
             .join(DeliveryOrder, DeliveryOrder.id == Visit.order_id)
             .join(Supplier, Supplier.id == DeliveryOrder.supplier_id)
             .join(Material, Material.id == DeliveryOrder.material_id)
             .where(Visit.id.in_(sorted(visit_ids))))
    out = {}
    for row in conn.execute(query).mappings():
        ctx = dict(row)
        out[str(ctx.pop("id"))] = canon({"visit": row["id"], **ctx})
    return out
