"""Settlement lines from the central PostgreSQL, for every gate that syncs to it.

The centre holds each gate's chain as records (`central_record`, intake.sync.central): a ticket
record is the delivery's line, the site column says which gate. Each ticket record is checked
where it stands in its site's chain: its MAC recomputed from the stored payload with that
site's key and the MAC of the record before it (the check `verify_site` makes for the whole
chain). The verdict in force now is the projection's (`central_visit.verdict`: the newest
decision by chain order); the lab's results are the site's `labresult` records of the
ticket's blind code.

Chunks are keyset-paginated on (site, seq), the centre's unique key.

The ERP's incremental walk (`central_page`) keeps one position per site: the chain seq of the
last ticket it was handed. A site's records are taken strictly in seq order under its mark
row's lock (intake.sync.receiver), so a reader that has seen seq N of a site never later finds
a new ticket of that site below N, however the gates' uploads interleave; a site that first
syncs after the ERP began starts from its seq 0. One query a page: per site, its next tickets
by the partial index `ix_central_record_ticket` (site, seq), joined in (site, seq) order.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_, union_all
from sqlalchemy.engine import Connection, Engine

from intake.lab.results import LabResult
from intake.settlement.lines import Delivery, Window, lab_summary
from intake.store.chain import GENESIS
from intake.sync.central import record_table, site_table, visit_table
from intake.sync.message import RecordMessage, link_mac_canonical
from intake.sync.projection import uncanon_time

CHUNK = 500
_OUT_AT = record_table.c.payload["weighed_out_at"]["$t"].astext
_SUPPLIER = record_table.c.payload["supplier_code"].astext


def _stamp(moment: datetime) -> str:
    """A window bound in the canonical form the payloads hold ("...Z"), which sorts as text."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _where(w: Window, site: str | None) -> list[Any]:
    out: list[Any] = [record_table.c.table_name == "ticket", _OUT_AT >= _stamp(w.start), _OUT_AT < _stamp(w.end)]
    if w.supplier is not None:
        out.append(_SUPPLIER == w.supplier)
    if site is not None:
        out.append(record_table.c.site == site)
    return out


def central_deliveries(engine: Engine, w: Window, site: str | None = None, chunk: int = CHUNK) -> Iterator[Delivery]:
    """Every ticket record weighed out in the window (of one site, or all), by (site, seq)."""
    last: tuple[str, int] | None = None
    keys: dict[str, bytes] = {}
    while True:
        query = select(record_table).where(*_where(w, site))
        if last is not None:
            query = query.where(tuple_(record_table.c.site, record_table.c.seq) > tuple_(*last))
        query = query.order_by(record_table.c.site, record_table.c.seq).limit(chunk)
        with engine.connect() as conn:
            rows = list(conn.execute(query).mappings())
            lines = _lines(conn, rows, keys)
        yield from lines
        if len(rows) < chunk:
            return
        last = (rows[-1]["site"], int(rows[-1]["seq"]))


SITE_PREFIX = "s:"   # a cursor position per site: {"s:<site>": last ticket seq}


def central_page(engine: Engine, after: dict[str, int], limit: int, site: str | None = None,
                 ) -> tuple[list[Delivery], dict[str, int], bool]:
    """The ticket records after each site's position, in (site, seq) order, at most `limit`:
    (lines, the positions after them, more)."""
    seen = {k[len(SITE_PREFIX):]: v for k, v in after.items() if k.startswith(SITE_PREFIX)}
    with engine.connect() as conn:
        sites = [site] if site is not None else list(conn.execute(
            select(site_table.c.site).order_by(site_table.c.site)).scalars())
        if not sites:
            return [], dict(after), False
        parts = [select(record_table).where(
                     record_table.c.table_name == "ticket", record_table.c.site == s,
                     record_table.c.seq > seen.get(s, 0)).order_by(record_table.c.seq).limit(limit + 1)
                 for s in sites]
        joined = union_all(*parts).subquery()
        query = select(*[joined.c[c.name] for c in record_table.c]).order_by(
            joined.c.site, joined.c.seq).limit(limit + 1)
        rows = list(conn.execute(query).mappings())
        more = len(rows) > limit
        rows = rows[:limit]
        lines = _lines(conn, rows, {})
    positions = dict(after)
    for r in rows:
        positions[SITE_PREFIX + r["site"]] = int(r["seq"])
    return lines, positions, more


def central_count(engine: Engine, w: Window, site: str | None = None) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(record_table).where(*_where(w, site))).scalar_one())


def _lines(conn: Connection, rows: Sequence[Any], keys: dict[str, bytes]) -> list[Delivery]:
    if not rows:
        return []
    for site in sorted({r["site"] for r in rows} - keys.keys()):
        found = conn.execute(select(site_table.c.key).where(site_table.c.site == site)).scalar()
        keys[site] = bytes(found) if found is not None else b""
    prev = _previous_macs(conn, rows)
    visits = {(r["site"], r["payload"].get("visit_id")) for r in rows}
    verdicts = _verdicts(conn, visits)
    labs = _labs(conn, {(r["site"], r["payload"].get("blind_code")) for r in rows
                        if r["payload"].get("blind_code") is not None})
    out = []
    for r in rows:
        p = r["payload"]
        site, visit, code = r["site"], p.get("visit_id"), p.get("blind_code")
        ok = _vouched(r, keys.get(site, b""), prev.get((site, int(r["seq"]) - 1)))
        lab, lab_text = lab_summary(labs.get((site, code), []))
        line = Delivery(
            site=site, record_id=str(visit), ticket=int(p["number"]), order=p["order_code"], supplier=p["supplier_code"],
            material=p["material_code"], lane=p["lane"], plate=p["plate"],
            weighed_in_at=uncanon_time(p.get("weighed_in_at")), weighed_out_at=uncanon_time(p["weighed_out_at"]),
            gross_kg=p.get("gross_kg"), second_kg=p.get("second_kg"), second_kind=p["second_kind"],
            received=bool(p["received"]), net_kg=int(p["net_kg"]) if p["received"] else 0,
            verdict=verdicts.get((site, visit), p.get("verdict")), gate_verdict=p.get("verdict"),
            reasons=list(p.get("reasons") or []), lab=lab, lab_results=lab_text, verified=True)
        out.append(line if ok else line.withheld())
    return out


def _previous_macs(conn: Connection, rows: Sequence[Any]) -> dict[tuple[str, int], str]:
    wanted = [(r["site"], int(r["seq"]) - 1) for r in rows if int(r["seq"]) > 1]
    if not wanted:
        return {}
    found = conn.execute(select(record_table.c.site, record_table.c.seq, record_table.c.mac).where(
        tuple_(record_table.c.site, record_table.c.seq).in_(wanted)))
    return {(s, int(q)): str(m) for s, q, m in found}


def _vouched(r: Any, key: bytes, prev: str | None) -> bool:
    seq = int(r["seq"])
    before = GENESIS if seq == 1 else prev
    if not key or before is None:
        return False
    record = RecordMessage(seq=seq, uuid=str(r["record_uuid"]), table=r["table_name"], pk=r["row_pk"],
                           row=r["payload"], mac=r["mac"], context=r["context"])
    return link_mac_canonical(key, seq, before, record) == record.mac


def _verdicts(conn: Connection, visits: set[tuple[str, Any]]) -> dict[tuple[str, str], str | None]:
    pairs = [(s, v) for s, v in visits if isinstance(v, str)]
    if not pairs:
        return {}
    found = conn.execute(select(visit_table.c.site, visit_table.c.visit_id, visit_table.c.verdict).where(
        tuple_(visit_table.c.site, visit_table.c.visit_id).in_(pairs), visit_table.c.decision_seq.is_not(None)))
    return {(s, v): verdict for s, v, verdict in found}


def _labs(conn: Connection, codes: set[tuple[str, Any]]) -> dict[tuple[str, int], list[tuple[str, str, str, str | None]]]:
    if not codes:
        return {}
    code = record_table.c.payload["blind_code"].astext
    match = tuple_(record_table.c.site, code).in_(sorted((s, str(c)) for s, c in codes))
    found = conn.execute(select(record_table.c.site, record_table.c.payload).where(
        record_table.c.table_name == LabResult.__tablename__, match).order_by(record_table.c.site, record_table.c.seq))
    out: dict[tuple[str, int], list[tuple[str, str, str, str | None]]] = {}
    for site, p in found:
        out.setdefault((site, int(p["blind_code"])), []).append(
            (str(p["property"]), str(p["value"]), str(p["unit"]), p.get("verdict")))
    return out
