"""What travels from a gate to the centre, and how it is authenticated.

A record message carries one chain link and its row in canonical form (intake.store.canonical),
so the centre recomputes the link's MAC with the site key exactly as the gate computed it, and
the chain continues across batches: a record's `prev` is the MAC of the record before it.
The visit context (plate, supplier, material, ...) lives in tables outside the chain, so it is
covered by the batch MAC instead: the site key signs each batch as a whole.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from typing import Any

from intake.store.canonical import canonical_bytes


@dataclass(frozen=True)
class RecordMessage:
    seq: int
    uuid: str
    table: str
    pk: str
    row: dict[str, Any]              # already canonical: tagged values ({"$t": ...}), JSON-safe
    mac: str
    context: dict[str, Any] | None   # canonical too; None for records with no visit


@dataclass(frozen=True)
class Batch:
    site: str
    records: tuple[RecordMessage, ...]
    mac: str                         # HMAC-SHA256 of `body_bytes` with the site key

    @property
    def first_seq(self) -> int:
        return min(r.seq for r in self.records)

    @property
    def last_seq(self) -> int:
        return max(r.seq for r in self.records)

    def to_json(self) -> str:
        return json.dumps({"site": self.site, "mac": self.mac, "records": [asdict(r) for r in self.records]},
                          ensure_ascii=False)

    @staticmethod
    def from_json(text: str) -> "Batch":
        obj = json.loads(text)
        return Batch(obj["site"], tuple(RecordMessage(**r) for r in obj["records"]), obj["mac"])


def _dumps(value: Any) -> bytes:
    # The same serialisation canonical_bytes ends with, applied to a value already canonical:
    # canon() would escape the "$" tags a second time.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def link_mac_canonical(key: bytes, seq: int, prev: str, record: RecordMessage) -> str:
    """intake.store.chain.link_mac, from a row that is already canonical. The outer fields are
    ints and strings, which canon() leaves as they are, so the bytes are the gate's bytes.
    As there, a NULL in a column added after rows were linked is left out of the MAC."""
    row = record.row
    late = _late_columns(record.table)
    if late:
        row = {k: v for k, v in row.items() if v is not None or k not in late}
    message = _dumps({"seq": seq, "prev": prev, "table": record.table, "pk": record.pk, "uuid": record.uuid,
                      "row": row})
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _late_columns(table: str) -> frozenset[str]:
    # Every chained table's class must be registered before the chain's (cached) lookup runs,
    # also in a process that only receives (the centre never writes the gate's tables itself).
    from intake.store.chain import late_columns
    from intake.sync.outbox import import_chained_modules

    import_chained_modules()
    return late_columns(table)


def body_bytes(site: str, records: tuple[RecordMessage, ...]) -> bytes:
    return canonical_bytes({"site": site, "records": [asdict(r) for r in records]})


def sign_batch(key: bytes, site: str, records: tuple[RecordMessage, ...]) -> Batch:
    mac = hmac.new(key, body_bytes(site, records), hashlib.sha256).hexdigest()
    return Batch(site, records, mac)


def batch_is_authentic(key: bytes, batch: Batch) -> bool:
    expected = hmac.new(key, body_bytes(batch.site, batch.records), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, batch.mac)
