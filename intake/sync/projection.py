"""Typed projection of received records into `central_visit`, for the key queries.

Records of one batch are folded per visit in sequence order, then upserted once per visit (one
statement cannot touch a row twice). Upserts are idempotent and order-independent across
batches: a value only fills a column that is empty, except the verdict, which the decision with
the highest sequence number owns (a review is a newer decision).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import case, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from intake.sync.central import visit_table
from intake.sync.message import RecordMessage

_FILL = ("plate", "supplier", "material", "lane", "order_code", "opened_at", "gross_kg", "tare_kg",
         "lot_id", "lot_no", "sampled")
_DECISION = ("verdict", "decided_at", "decision_seq")


def uncanon_time(value: Any) -> datetime | None:
    """A canonical timestamp ({"$t": "...Z"}) back to an aware datetime."""
    if not isinstance(value, dict) or "$t" not in value:
        return None
    return datetime.fromisoformat(value["$t"].replace("Z", "+00:00"))


def _fold(row: dict[str, Any], record: RecordMessage) -> None:
    ctx = record.context or {}
    for src, dst in (("plate", "plate"), ("supplier", "supplier"), ("material", "material"), ("lane", "lane"),
                     ("order", "order_code")):
        if ctx.get(src) is not None:
            row[dst] = ctx[src]
    if ctx.get("opened_at") is not None:
        row["opened_at"] = uncanon_time(ctx["opened_at"])
    data = record.row
    if record.table == "weighing":
        row["gross_kg" if data.get("kind") == "in" else "tare_kg"] = data.get("weight_kg")
    elif record.table == "decision":
        row.update(verdict=data.get("verdict"), decided_at=uncanon_time(data.get("decided_at")),
                   decision_seq=record.seq)
    elif record.table == "sampling_selection":
        row.update(lot_id=data.get("lot_id"), lot_no=data.get("lot_no"), sampled=data.get("sampled"))


def visit_rows(site: str, records: Iterable[RecordMessage]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for record in sorted(records, key=lambda r: r.seq):
        visit = record.row.get("visit_id")
        if not isinstance(visit, str):
            continue
        row = rows.setdefault(visit, {"site": site, "visit_id": visit})
        _fold(row, record)
    # Every row of one executemany must name the same columns; missing ones are NULL (= no news).
    return [{col: row.get(col) for col in ("site", "visit_id", *_FILL, *_DECISION)} for row in rows.values()]


def project(conn: Connection, site: str, records: list[RecordMessage]) -> int:
    rows = visit_rows(site, records)
    if not rows:
        return 0
    stmt = pg_insert(visit_table)
    old, new = visit_table.c, stmt.excluded
    newer = new.decision_seq > func.coalesce(old.decision_seq, 0)
    updates: dict[str, Any] = {col: func.coalesce(getattr(new, col), getattr(old, col)) for col in _FILL}
    updates.update({col: case((newer, getattr(new, col)), else_=getattr(old, col)) for col in _DECISION})
    conn.execute(stmt.on_conflict_do_update(index_elements=[old.site, old.visit_id], set_=updates), rows)
    return len(rows)
