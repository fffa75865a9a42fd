"""The public /t/<code> page a ticket's QR code opens: no login, the facts in Chinese and
English, whether the chain vouches for them (checked on each request), COPY marks on the
prints, and one clear 404 page for a code that is not a ticket of this plant."""
from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from intake.lane.status import StatusHub
from intake.ticket.printing import save_pdf
from intake.web.app import create_app
from tests.intake.ticket.conftest import BASE_URL


@pytest.fixture
def client(records):
    with TestClient(create_app(StatusHub(), engine=records.engine, ticket_tz="Asia/Shanghai")) as client:
        yield client


def test_the_page_shows_the_ticket_and_that_the_chain_vouches(client, tickets):
    t = tickets[0]
    page = client.get(f"/t/{t.code}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert "The audit chain vouches for this ticket" in html and "记录链核验通过" in html
    for words in ("称重磅单", "00000001", "沪A·S1001", "华鑫砂场", "毛重", "净重", "25 600 kg", "合格", "(Asia/Shanghai)"):
        assert words in html, words
    assert client.get(f"/t/{t.code.lower()}").status_code == 200     # typed from the paper


def test_a_sent_back_truck_and_its_copies(client, records, tickets, tmp_path):
    t = tickets[3]
    for name in ("a.pdf", "b.pdf"):
        save_pdf(records.engine, t.id, tmp_path / name, base_url=BASE_URL)
    html = client.get(f"/t/{t.code}").text
    assert "出场重" in html and "Exit weight" in html and "皮重" not in html and "未收货" in html
    assert "pdf-a5, pdf-a5 (补打 COPY)" in html


def test_a_tampered_record_shows_the_chain_does_not_vouch(client, tickets, db_path, visits):
    con = sqlite3.connect(db_path)
    with con:
        con.execute(f"UPDATE weighing SET weight_kg = 9000 WHERE kind = 'out' AND visit_id = '{visits[0]}'")
    con.close()
    html = client.get(f"/t/{tickets[0].code}").text
    assert "does NOT vouch" in html and "weighing" in html and "second_kg" in html
    assert "vouches for this ticket" not in html.replace("does NOT vouch for this ticket", "")


@pytest.mark.parametrize("code", ["AAAAAAAAAAAAAAAA", "1", "00000001", "not-a-code", "A" * 200])
def test_unknown_codes_and_numbers_get_the_same_404_page(client, tickets, code):
    """A ticket number is easy to guess, so it never opens a page; only the code does."""
    page = client.get(f"/t/{code}")
    assert page.status_code == 404 and "未找到此磅单" in page.text and "No such ticket" in page.text
    assert tickets[0].plate not in page.text
