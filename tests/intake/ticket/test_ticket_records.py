"""Tickets as records: one per weighed-out visit, numbered in sequence and never twice, with a
code only the site's key makes; verify says whether the chain vouches for every fact, and a
weight, decision or ticket changed from a SQL shell makes it say it does not."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlmodel import Session, select

from intake.store.audit import verify
from intake.store.chain import ChainError
from intake.store.records import Admission, Records
from intake.ticket.issue import TicketError, issue_ticket, normalise_ref, pending_visits, ticket_code
from intake.ticket.tables import Ticket
from intake.ticket.verify import check_ticket
from tests.intake.store.conftest import KEY
from tests.intake.ticket.conftest import PLANT


def _sql(db_path: Path, statement: str) -> None:
    con = sqlite3.connect(db_path)
    with con:
        con.execute(statement)
    con.close()


def test_tickets_are_numbered_in_sequence_and_carry_the_delivery(records, visits, tickets):
    assert [t.number for t in tickets] == [1, 2, 3, 4]
    first = tickets[0]
    summary = records.visit_summary(visits[0])
    assert summary["ticket"] == 1
    assert (first.plant, first.plate, first.supplier_code, first.material_code) == (PLANT, "沪A·S1001", "hx-sand", "sand")
    assert (first.gross_kg, first.second_kg, first.net_kg) == (summary["gross_kg"], summary["tare_kg"], summary["net_kg"])
    assert first.second_kind == "tare" and first.tare_source == "weighed" and first.received
    assert first.verdict == "pass" and first.blind_code == 10_000_000
    assert first.weighed_in_at is not None and first.weighed_out_at is not None


def test_a_truck_sent_back_gets_net_zero_and_an_exit_weight(tickets):
    back = tickets[3]
    assert (back.received, back.net_kg, back.second_kind, back.tare_source) == (False, 0, "exit", None)
    assert back.second_kg == back.gross_kg - 20 and back.verdict == "reject" and back.reasons == ["muddy"]
    assert (back.indicator, back.scale_max_kg, back.scale_e_kg) == ("toledo:Mettler Toledo IND570", 60000, 20.0)


def test_issuing_again_returns_the_same_ticket(records, visits, tickets):
    again = issue_ticket(records.engine, visits[1], PLANT)
    assert (again.id, again.number, again.code) == (tickets[1].id, tickets[1].number, tickets[1].code)


def test_no_ticket_before_the_weigh_out(records, visits):
    adm = records.admit("沪A·S1001", "1")   # the first truck comes back with its next load
    assert isinstance(adm, Admission)
    records.record_weight(adm.visit, "in", 40_000, "pty")
    with pytest.raises(TicketError, match="not weighed out"):
        issue_ticket(records.engine, adm.visit, PLANT)
    with pytest.raises(TicketError, match="no visit"):
        issue_ticket(records.engine, "no-such-visit", PLANT)


def test_pending_lists_weighed_out_visits_without_a_ticket(records, visits):
    assert pending_visits(records.engine) == visits
    issue_ticket(records.engine, visits[0], PLANT)
    assert pending_visits(records.engine) == visits[1:]


def test_a_deleted_ticket_number_is_not_handed_out_again(records, visits, db_path):
    issue_ticket(records.engine, visits[0], PLANT)
    issue_ticket(records.engine, visits[1], PLANT)
    _sql(db_path, "DELETE FROM ticket WHERE number = 2")   # behind the gate's back
    assert issue_ticket(records.engine, visits[2], PLANT).number == 3
    problems = verify(records.engine, KEY).problems
    assert any(p.table == "ticket" for p in problems)


def test_codes_come_from_the_key_and_say_nothing(tickets):
    codes = {t.code for t in tickets}
    assert len(codes) == 4 and all(len(c) == 16 and c.isalnum() and c.isupper() for c in codes)
    t = tickets[0]
    assert t.code == ticket_code(KEY, t.number, t.visit_id)
    assert t.code != ticket_code(b"another-site-key-0123456789", t.number, t.visit_id)
    assert t.plate not in t.code and str(t.net_kg) not in t.code


def test_references_as_typed_or_scanned(records, tickets):
    t = tickets[2]
    grouped = "-".join(t.code[i:i + 4] for i in range(0, 16, 4)).lower()
    for ref in (t.code, grouped, f"https://gate.example.test/t/{t.code}", "3", "00000003", "No. 3"):
        assert normalise_ref(ref)
        check = check_ticket(records.engine, ref)
        assert check is not None and check.ticket.number == 3, ref
    assert check_ticket(records.engine, "A" * 16) is None and check_ticket(records.engine, "99") is None


def test_an_untouched_ticket_is_vouched_for(records, tickets):
    for t in tickets:
        check = check_ticket(records.engine, t.code)
        assert check is not None and check.vouched, check.summary() if check else t
    assert verify(records.engine, KEY).ok


@pytest.mark.parametrize("statement, table, fact", [
    ("UPDATE weighing SET weight_kg = weight_kg - 2000 WHERE kind = 'out' AND visit_id = '{visit}'", "weighing", "second_kg"),
    ("UPDATE decision SET verdict = 'pass' WHERE visit_id = '{visit}'", "decision", "verdict"),
    ("UPDATE ticket SET net_kg = net_kg + 1000 WHERE visit_id = '{visit}'", "ticket", "net_kg"),
])
def test_a_record_changed_from_a_sql_shell_is_not_vouched_for(records, visits, tickets, db_path, statement, table, fact):
    visit = visits[3] if table == "decision" else visits[0]
    _sql(db_path, statement.format(visit=visit))
    check = check_ticket(records.engine, next(t.code for t in tickets if t.visit_id == visit))
    assert check is not None and not check.vouched
    assert table in check.bad_rows, check.summary()
    if table != "ticket":   # the ticket still says what was issued; the records now say otherwise
        assert fact in check.differs, check.summary()
    assert "does NOT vouch" in check.summary()


def test_a_forged_ticket_row_fails_its_code(records, tickets, db_path):
    """A row written with SQL under a made-up code: no link, and the code is not the key's."""
    t = tickets[0]
    _sql(db_path, f"UPDATE ticket SET code = 'AAAABBBBCCCCDDDD' WHERE id = {t.id}")
    check = check_ticket(records.engine, "AAAABBBBCCCCDDDD")
    assert check is not None and not check.code_ok and not check.vouched


def test_tickets_are_append_only_and_chained(records, tickets):
    with Session(records.engine) as session:
        t = session.exec(select(Ticket)).first()
        assert t is not None
        t.net_kg = 1
        session.add(t)
        with pytest.raises(ChainError, match="append-only"):
            session.commit()
    report = verify(records.engine, KEY)
    assert report.ok and report.records > 0


def test_no_key_means_not_vouched(db_path, tickets):
    from intake.store.db import open_engine

    keyless = Records(open_engine(f"sqlite:///{db_path}", None, migrate=False))
    check = check_ticket(keyless.engine, tickets[0].code)
    assert check is not None and not check.vouched and check.problem


def test_a_database_from_before_migration_0012_gets_tickets_from_its_next_weigh_out(tmp_path):
    """Migration 0012 adds the tables to a working database; visits weighed out before it have
    no ticket until `intake ticket issue --pending` gives them one (numbered from 1)."""
    from alembic import command
    from sqlalchemy import create_engine

    from intake.store.db import open_engine
    from intake.store.migrate import alembic_config
    from tests.intake.store.conftest import fill

    path = tmp_path / "old.db"
    old = create_engine(f"sqlite:///{path}")
    with old.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0011")
    old.dispose()
    records = Records(open_engine(f"sqlite:///{path}", KEY))   # migrates to head
    visits = fill(records, trucks=2)
    assert pending_visits(records.engine) == visits
    assert [issue_ticket(records.engine, v, PLANT).number for v in visits] == [1, 2]
    assert verify(records.engine, KEY).ok
