"""Weighing tickets and their prints are chained records like any other: they reach the central
PostgreSQL, where verify_site re-checks them from their payloads."""
from __future__ import annotations

from sqlalchemy import text

from intake.sync.client import catch_up
from intake.sync.outbox import local_head
from intake.ticket.issue import issue_ticket
from intake.ticket.printing import save_pdf
from tests.intake.sync.conftest import KEY, SITE
from tests.intake.sync.test_sync import counts, verified


def test_tickets_and_prints_are_forwarded_and_verify_at_the_centre(gate, central, tmp_path):
    gate.write(3)
    tickets = [issue_ticket(gate.engine, f"v-{i:07d}", "Plant 7") for i in range(3)]
    save_pdf(gate.engine, tickets[0].id, tmp_path / "t.pdf", base_url="https://gate.example.test")
    head = local_head(gate.engine)
    assert head == gate.records + 3 + 1
    done = catch_up(gate.engine, central, SITE, KEY, batch_size=5)
    assert done.high_seq == head and counts(central) == (head, 1, head)
    verified(central, head)
    with central.connect() as conn:
        tables = dict(conn.execute(text("SELECT table_name, count(*) FROM central_record "
                                        "WHERE table_name LIKE 'ticket%' GROUP BY 1")).all())
    assert tables == {"ticket": 3, "ticket_print": 1}

