"""Authentication at the centre (S6 "none may be injected without detection"), against a real
PostgreSQL server. The sync tool verifies each batch with the site key before it stores
anything (intake.sync.receiver); the database itself trusts whoever holds its credentials, so
`verify_site` re-verifies what the centre holds from the stored payloads: a row written around
the tool is found there."""
from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import text

from intake.sync.central import register_site
from intake.sync.client import catch_up
from intake.sync.message import sign_batch
from intake.sync.receiver import Gap, NotRegistered, Tampered, Unauthentic, ingest, verify_site
from tests.intake.sync.conftest import KEY, SITE
from tests.intake.sync.test_sync import batch, counts, verified


def test_an_old_batch_replayed_later_changes_nothing(gate, central):
    gate.write(10)                                    # 28 master-data records + 40
    old = batch(gate, 0, 15)
    ingest(central, old)
    catch_up(gate.engine, central, SITE, KEY)
    receipt = ingest(central, old)                    # captured on the link and sent again
    assert (receipt.inserted, receipt.duplicates, receipt.high_seq) == (0, 15, 68)
    assert counts(central) == (68, 1, 68)
    verified(central, 68)


def test_an_old_record_under_a_new_number_is_refused(gate, central):
    gate.write(5)
    good = batch(gate, 0, 15)
    ingest(central, good)
    replayed = dataclasses.replace(good.records[2], seq=16)
    # Without the key the batch MAC fails; with it, the link MAC (over seq and the previous
    # link) does not continue the chain at 16.
    with pytest.raises(Unauthentic):
        ingest(central, dataclasses.replace(good, records=(replayed,)))
    with pytest.raises(Tampered):
        ingest(central, sign_batch(KEY, SITE, (replayed,)))
    assert counts(central) == (15, 1, 15)


def test_a_batch_replayed_for_another_site_or_without_its_mac_is_refused(gate, central):
    other = "plant-7/gate-2"
    register_site(central, other, b"gate-2-key-0123456789abcdef0123456")
    gate.write(5)
    good = batch(gate, 0, 15)
    with pytest.raises(Unauthentic):
        ingest(central, dataclasses.replace(good, site=other))
    for mac in ("", "0" * 64, good.mac[:-1]):
        with pytest.raises(Unauthentic):
            ingest(central, dataclasses.replace(good, mac=mac))
    with pytest.raises(NotRegistered):
        ingest(central, dataclasses.replace(good, site="plant-7/gate-9"))
    assert counts(central) == (0, 0, 0)


def test_a_record_dropped_on_the_link_is_a_gap_even_when_signed(gate, central):
    gate.write(10)
    ingest(central, batch(gate, 0, 15))
    rest = batch(gate, 15, 15).records
    holed = tuple(r for r in rest if r.seq != 20)
    with pytest.raises(Gap) as gap:
        ingest(central, sign_batch(KEY, SITE, holed))
    assert gap.value.seq == 20 and counts(central) == (15, 1, 15)


def test_rows_written_around_the_sync_tool_are_found_by_verify_site(gate, central):
    gate.write(5)
    head = catch_up(gate.engine, central, SITE, KEY).high_seq
    with central.begin() as conn:
        # Someone with the database's credentials edits a weight and appends a record of their own.
        weighing = conn.execute(text("SELECT min(seq) FROM central_record WHERE site = :s "
                                     "AND table_name = 'weighing'"), {"s": SITE}).scalar()
        conn.execute(text("UPDATE central_record SET payload = jsonb_set(payload, '{weight_kg}', '1') "
                          "WHERE site = :s AND seq = :q"), {"s": SITE, "q": weighing})
        row = conn.execute(text("SELECT payload, context FROM central_record WHERE site = :s AND seq = :q"),
                           {"s": SITE, "q": head}).one()
        conn.execute(text("INSERT INTO central_record (site, record_uuid, seq, table_name, row_pk, payload, "
                          "context, mac) VALUES (:s, gen_random_uuid(), :q, 'weighing', '999', "
                          "CAST(:p AS jsonb), CAST(:c AS jsonb), :m)"),
                     {"s": SITE, "q": head + 1, "p": json.dumps(row.payload), "c": json.dumps(row.context),
                      "m": "f" * 64})
    with central.connect() as conn:
        checked, bad = verify_site(conn, SITE, KEY)
    assert checked == head + 1 and bad == [weighing, head + 1]
