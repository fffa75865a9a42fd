"""The centre's side of a batch: one transaction that authenticates, orders, checks and stores.

  1. The site must be registered; the batch MAC must verify with its key (else: refused).
  2. Records are taken in sequence order, whatever order they arrived in.
  3. Records at or below the site's high-water mark are duplicates: their MAC must equal what the
     centre holds (a different record under an old number is an injection), and they change nothing.
  4. The new records must continue the mark without a hole (else: a gap, refused and reported),
     and each link MAC must recompute from the previous one (else: tampered, refused).
  5. Insert with ON CONFLICT DO NOTHING by (site, record UUID), project, advance the mark.

Any refusal rolls the whole batch back: the mark never moves past something unverified.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Engine

from intake.store.chain import GENESIS
from intake.sync.central import mark_table, record_table, site_key
from intake.sync.message import Batch, RecordMessage, batch_is_authentic, link_mac_canonical
from intake.sync.projection import project


class Refused(RuntimeError):
    """The centre will not take this batch; retrying the same batch cannot help."""

    kind = "refused"

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


class NotRegistered(Refused):
    kind = "not_registered"


class Unauthentic(Refused):
    kind = "unauthentic"


class Gap(Refused):
    kind = "gap"


class Tampered(Refused):
    kind = "tampered"


class RolledBack(Refused):
    """The local chain no longer holds the link the centre last received: the database was
    rolled back, replaced or rewritten behind what the centre already keeps."""
    kind = "rolled_back"


@dataclass(frozen=True)
class Receipt:
    inserted: int
    duplicates: int
    high_seq: int


def ingest(engine: Engine, batch: Batch) -> Receipt:
    with engine.begin() as conn:
        return ingest_in(conn, batch)


def ingest_in(conn: Connection, batch: Batch) -> Receipt:
    key = site_key(conn, batch.site)
    if key is None:
        raise NotRegistered(f"site {batch.site!r} is not registered at the centre (intake sync register)")
    if not batch_is_authentic(key, batch):
        raise Unauthentic(f"batch from {batch.site!r} does not authenticate with the site key")
    high_seq, high_mac = _lock_mark(conn, batch.site)
    ordered = sorted(batch.records, key=lambda r: r.seq)
    old = [r for r in ordered if r.seq <= high_seq]
    new = [r for r in ordered if r.seq > high_seq]
    _check_duplicates(conn, batch.site, old)
    prev = high_mac
    for expected, record in enumerate(new, start=high_seq + 1):
        if record.seq != expected:
            raise Gap(f"site {batch.site!r}: record {expected} missing (got {record.seq}); "
                      f"the centre holds up to {high_seq}", expected)
        if not hmac.compare_digest(link_mac_canonical(key, record.seq, prev, record), record.mac):
            raise Tampered(f"site {batch.site!r}: record {record.seq} ({record.table} {record.pk}) "
                           "does not verify against the chain", record.seq)
        prev = record.mac
    inserted = _insert(conn, batch.site, new)
    if new:
        conn.execute(mark_table.update().where(mark_table.c.site == batch.site)
                     .values(high_seq=new[-1].seq, high_mac=new[-1].mac, updated_at=func.now()))
    project(conn, batch.site, new)
    return Receipt(inserted=inserted, duplicates=len(old), high_seq=new[-1].seq if new else high_seq)


def _lock_mark(conn: Connection, site: str) -> tuple[int, str]:
    # The mark row is the per-site lock: two senders for one site (the gate's background task and
    # a manual `intake sync`) take turns, each seeing the other's committed mark.
    conn.execute(pg_insert(mark_table).values(site=site, high_seq=0, high_mac=GENESIS).on_conflict_do_nothing())
    row = conn.execute(select(mark_table.c.high_seq, mark_table.c.high_mac)
                       .where(mark_table.c.site == site).with_for_update()).one()
    return int(row[0]), str(row[1])


def _check_duplicates(conn: Connection, site: str, old: list[RecordMessage]) -> None:
    """A re-sent record must be the very record the centre holds, field for field: anything else
    under an old number is an attempt to inject or rewrite, not a retry."""
    if not old:
        return
    c = record_table.c
    held = {row.seq: (str(row.record_uuid), row.table_name, row.row_pk, row.payload, row.mac)
            for row in conn.execute(select(c.seq, c.record_uuid, c.table_name, c.row_pk, c.payload, c.mac)
                                    .where(c.site == site, c.seq.in_([r.seq for r in old])))}
    for record in old:
        if held.get(record.seq) != (record.uuid, record.table, record.pk, record.row, record.mac):
            raise Tampered(f"site {site!r}: record {record.seq} differs from the one the centre holds", record.seq)


def _insert(conn: Connection, site: str, new: list[RecordMessage]) -> int:
    if not new:
        return 0
    rows = [{"site": site, "record_uuid": r.uuid, "seq": r.seq, "table_name": r.table, "row_pk": r.pk,
             "payload": r.row, "context": r.context, "mac": r.mac} for r in new]
    done = conn.execute(pg_insert(record_table).on_conflict_do_nothing(
        index_elements=[record_table.c.site, record_table.c.record_uuid]).returning(record_table.c.seq), rows)
    return len(done.all())


def verify_site(conn: Connection, site: str, key: bytes, batch: int = 5000) -> tuple[int, list[int]]:
    """Re-verify everything the centre holds for a site from the stored payloads (verified on
    read): (records checked, sequence numbers that fail or are missing)."""
    bad: list[int] = []
    prev, expected, after = GENESIS, 1, 0
    while True:
        rows = conn.execute(select(record_table).where(record_table.c.site == site, record_table.c.seq > after)
                            .order_by(record_table.c.seq).limit(batch)).mappings().all()
        if not rows:
            return expected - 1, bad
        for row in rows:
            if row["seq"] != expected:
                bad.extend(range(expected, row["seq"]))
            record = RecordMessage(seq=row["seq"], uuid=str(row["record_uuid"]), table=row["table_name"],
                                   pk=row["row_pk"], row=row["payload"], mac=row["mac"], context=row["context"])
            if link_mac_canonical(key, record.seq, prev, record) != record.mac:
                bad.append(record.seq)
            prev, expected = record.mac, row["seq"] + 1
        after = rows[-1]["seq"]
