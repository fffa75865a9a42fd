"""The central PostgreSQL schema, created by the sync on first contact (`ensure_schema`).

  central_site    the sites the centre accepts, with their audit keys (the centre verifies every
                  message with the key of the site it claims to come from)
  central_mark    per-site high-water mark: the last contiguous sequence number and its link MAC
  central_record  every received record, keyed by (site, record UUID); unique (site, seq)
  central_visit   a typed projection, one row per visit, for the key queries (visit by plate,
                  review queue, monthly reject rate per supplier, lot status)

Two partial indexes on `central_record` serve the settlement export (tickets by site and chain
order, lab results by blind code); `ensure_schema` adds them to a centre made before them.

`central_record` is the truth; `central_visit` can be rebuilt from it. The schema carries its
own version in `central_schema`; a centre newer or older than this code is refused, not altered.
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger, Boolean, CHAR, Column, DateTime, ForeignKey, Index, Integer, LargeBinary, MetaData, Table, Text,
    UniqueConstraint, func, insert, select, text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert as pg_insert
from sqlalchemy.engine import Connection, Engine

SCHEMA_VERSION = 1
_SCHEMA_LOCK = 0x1A7D   # advisory lock: two gates making first contact at once create it once

meta = MetaData()

schema_table = Table("central_schema", meta, Column("version", Integer, primary_key=True))

site_table = Table(
    "central_site", meta,
    Column("site", Text, primary_key=True),
    Column("key", LargeBinary, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

mark_table = Table(
    "central_mark", meta,
    Column("site", Text, ForeignKey("central_site.site"), primary_key=True),
    Column("high_seq", BigInteger, nullable=False, server_default="0"),
    Column("high_mac", CHAR(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

record_table = Table(
    "central_record", meta,
    Column("site", Text, ForeignKey("central_site.site"), primary_key=True),
    Column("record_uuid", UUID(as_uuid=False), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("table_name", Text, nullable=False),
    Column("row_pk", Text, nullable=False),
    Column("payload", JSONB, nullable=False),       # the row's canonical form (intake.store.canonical)
    Column("context", JSONB),                       # the visit it belongs to: plate, supplier, ... (batch-MACed)
    Column("mac", CHAR(64), nullable=False),        # the site's chain link MAC over the record
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("site", "seq", name="uq_central_record_site_seq"),
)

visit_table = Table(
    "central_visit", meta,
    Column("site", Text, primary_key=True),
    Column("visit_id", Text, primary_key=True),
    Column("plate", Text),
    Column("supplier", Text),
    Column("material", Text),
    Column("lane", Text),
    Column("order_code", Text),
    Column("opened_at", DateTime(timezone=True)),
    Column("gross_kg", Integer),
    Column("tare_kg", Integer),
    Column("verdict", Text),                        # the newest decision's; a review writes a newer one
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_seq", BigInteger),             # chain order decides which decision is newest
    Column("lot_id", Text),
    Column("lot_no", Integer),
    Column("sampled", Boolean),
)

# One index per key query (scripts/bench_central.py shows each in EXPLAIN).
Index("ix_central_visit_plate", visit_table.c.plate, visit_table.c.opened_at.desc())
Index("ix_central_visit_review_queue", visit_table.c.decided_at, visit_table.c.site, visit_table.c.visit_id,
      postgresql_where=visit_table.c.verdict == "review")
Index("ix_central_visit_supplier_month", visit_table.c.supplier, visit_table.c.decided_at,
      postgresql_include=["verdict"])
Index("ix_central_visit_lot", visit_table.c.lot_id)
# The settlement export (intake.settlement.central): a site's tickets in chain order, and a
# site's lab results by blind code. Partial, so they hold only those records.
SETTLEMENT_INDEXES = (
    Index("ix_central_record_ticket", record_table.c.site, record_table.c.seq,
          postgresql_where=record_table.c.table_name == "ticket"),
    Index("ix_central_record_lab_code", record_table.c.site, record_table.c.payload["blind_code"].astext,
          postgresql_where=record_table.c.table_name == "labresult"),
)


class CentralError(RuntimeError):
    pass


def ensure_schema(engine: Engine) -> None:
    """Create the central tables if this is the first contact; refuse a different version."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        meta.create_all(conn, checkfirst=True)
        for index in SETTLEMENT_INDEXES:   # added after centres existed: made where missing
            index.create(conn, checkfirst=True)
        found = conn.execute(select(schema_table.c.version)).scalars().all()
        if not found:
            conn.execute(insert(schema_table).values(version=SCHEMA_VERSION))
        elif found != [SCHEMA_VERSION]:
            raise CentralError(f"central schema version {found} is not {SCHEMA_VERSION}: upgrade the sync tool "
                               "or the centre first")


def register_site(engine: Engine, site: str, key: bytes) -> bool:
    """Give the centre a site's audit key. True if newly registered; a different key for a known
    site is refused (re-keying a site is an administrative act, not something a gate does)."""
    ensure_schema(engine)
    with engine.begin() as conn:
        done = conn.execute(pg_insert(site_table).values(site=site, key=key)
                            .on_conflict_do_nothing().returning(site_table.c.site)).first()
        if done is None:
            stored = conn.execute(select(site_table.c.key).where(site_table.c.site == site)).scalar_one()
            if bytes(stored) != key:
                raise CentralError(f"site {site!r} is registered with a different key")
            return False
    return True


def site_key(conn: Connection, site: str) -> bytes | None:
    found = conn.execute(select(site_table.c.key).where(site_table.c.site == site)).scalar()
    return bytes(found) if found is not None else None


def high_water(conn: Connection, site: str) -> tuple[int, str | None]:
    """(seq, mac) of the last record received from this site; (0, None) before the first."""
    row = conn.execute(select(mark_table.c.high_seq, mark_table.c.high_mac)
                       .where(mark_table.c.site == site)).first()
    return (int(row[0]), str(row[1])) if row else (0, None)
