"""Store and forward into a real PostgreSQL server: catch-up, duplicates, reordering, gaps and
tampering. The centre re-verifies every stored record from its payload at the end of each test."""
from __future__ import annotations

import dataclasses
import random
import sqlite3

import pytest
from sqlalchemy import text

from intake.sync.client import catch_up
from intake.sync.message import sign_batch
from intake.sync.outbox import read_batch
from intake.sync.receiver import Gap, NotRegistered, Tampered, Unauthentic, ingest, verify_site
from tests.intake.sync.conftest import KEY, SITE


def counts(central) -> tuple[int, int, int]:
    with central.connect() as conn:
        n, lo, hi = conn.execute(text("SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) "
                                      "FROM central_record")).one()
    return int(n), int(lo), int(hi)


def verified(central, expect: int) -> None:
    with central.connect() as conn:
        checked, bad = verify_site(conn, SITE, KEY)
        mark = conn.execute(text("SELECT high_seq FROM central_mark WHERE site = :s"), {"s": SITE}).scalar()
    assert (checked, bad, mark) == (expect, [], expect)


def batch(gate, after: int, limit: int):
    return sign_batch(KEY, SITE, read_batch(gate.engine, after, limit).records)


def test_catch_up_sends_every_record_once_and_projects_visits(gate, central):
    gate.write(200)                                   # 28 master-data records + 800
    seen = []
    done = catch_up(gate.engine, central, SITE, KEY, batch_size=64, on_progress=seen.append)
    assert (done.high_seq, done.local_seq, done.pending) == (828, 828, 0)
    assert [p.high_seq for p in seen] == [*range(64, 828, 64), 828]
    assert counts(central) == (828, 1, 828)
    verified(central, 828)
    with central.connect() as conn:
        verdicts = dict(conn.execute(text("SELECT coalesce(verdict, '-'), count(*) FROM central_visit GROUP BY 1")).all())
        one = conn.execute(text("SELECT plate, supplier, material, gross_kg, tare_kg, verdict FROM central_visit "
                                "WHERE visit_id = 'v-0000001'")).one()
    assert verdicts == {"pass": 50, "reject": 50, "review": 50, "-": 50}
    assert one == ("沪A·G2002", "ds-stone", "gravel", 40_001, 15_000, "reject")
    with sqlite3.connect(gate.url.removeprefix("sqlite:///")) as local:
        assert local.execute("SELECT acked_seq FROM synccursor").fetchall() == [(828,)]
    # Nothing new: another round sends nothing and changes nothing.
    assert catch_up(gate.engine, central, SITE, KEY).high_seq == 828 and counts(central) == (828, 1, 828)


def test_a_resent_batch_changes_nothing(gate, central):
    gate.write(20)
    first = batch(gate, 0, 30)
    assert ingest(central, first).inserted == 30
    again = ingest(central, first)
    assert (again.inserted, again.duplicates, again.high_seq) == (0, 30, 30)
    # A batch that overlaps what the centre holds stores only the new part.
    overlap = ingest(central, batch(gate, 10, 100))
    assert (overlap.inserted, overlap.duplicates, overlap.high_seq) == (78, 20, 108)
    assert counts(central) == (108, 1, 108)
    verified(central, 108)


def test_reordered_records_and_batches(gate, central):
    gate.write(30)                                    # 148 records
    shuffled = batch(gate, 0, 40)
    records = list(shuffled.records)
    random.Random(7).shuffle(records)
    assert ingest(central, sign_batch(KEY, SITE, tuple(records))).high_seq == 40
    # The third batch arrives before the second: a gap, refused whole, the mark stays.
    third = batch(gate, 60, 30)
    with pytest.raises(Gap) as gap:
        ingest(central, third)
    assert gap.value.seq == 41 and counts(central) == (40, 1, 40)
    ingest(central, batch(gate, 40, 20))
    assert ingest(central, third).high_seq == 90
    verified(central, 90)


def test_a_hole_in_the_local_chain_stops_the_sync_before_it(gate, central):
    gate.write(10)
    with sqlite3.connect(gate.url.removeprefix("sqlite:///")) as local:
        local.execute("DELETE FROM chainlink WHERE seq = 17")
    done_before = []
    with pytest.raises(Gap) as gap:
        catch_up(gate.engine, central, SITE, KEY, batch_size=5, on_progress=done_before.append)
    assert gap.value.seq == 17 and "no record 17" in str(gap.value)
    assert done_before[-1].high_seq == 16 and counts(central) == (16, 1, 16)


def test_a_record_changed_in_the_gate_database_is_refused(gate, central):
    gate.write(10)
    ingest(central, batch(gate, 0, 12))
    with sqlite3.connect(gate.url.removeprefix("sqlite:///")) as local:
        local.execute("UPDATE weighing SET weight_kg = weight_kg - 1000 WHERE id = 12")   # seq 16 or so
    with pytest.raises(Tampered) as bad:
        catch_up(gate.engine, central, SITE, KEY, batch_size=100)
    assert "does not verify" in str(bad.value) and counts(central) == (12, 1, 12)


def test_a_message_altered_in_transit_or_signed_with_another_key_is_refused(gate, central):
    gate.write(5)
    good = batch(gate, 0, 15)
    altered = dataclasses.replace(good.records[0], row={**good.records[0].row, "weight_kg": 1})
    with pytest.raises(Unauthentic):
        ingest(central, dataclasses.replace(good, records=(altered, *good.records[1:])))
    with pytest.raises(Unauthentic):
        ingest(central, sign_batch(b"another-site-key-0123456789abcdef", SITE, good.records))
    # Even re-signed with the site key (a sender that holds the key but not the chain), the
    # link MAC catches the changed row.
    with pytest.raises(Tampered):
        ingest(central, sign_batch(KEY, SITE, (altered, *good.records[1:])))
    with pytest.raises(NotRegistered):
        ingest(central, sign_batch(KEY, "plant-9/gate-3", good.records))
    assert counts(central) == (0, 0, 0)


def test_a_different_record_under_an_old_number_is_an_injection(gate, central):
    gate.write(5)
    good = batch(gate, 0, 15)
    ingest(central, good)
    forged = dataclasses.replace(good.records[3], uuid="00000000-0000-4000-8000-000000000000")
    with pytest.raises(Tampered, match="differs"):
        ingest(central, sign_batch(KEY, SITE, (forged,)))
    rewritten = dataclasses.replace(good.records[4], row={**good.records[4].row, "weight_kg": 1})
    with pytest.raises(Tampered, match="differs"):
        ingest(central, sign_batch(KEY, SITE, (rewritten,)))
    assert counts(central) == (15, 1, 15)
