"""`intake ticket issue|print|verify` on a real database: exit 0 when the chain vouches, 1 when
it does not (or a print failed), 2 for a ticket that does not exist or bad input."""
from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from hardware.printer.simulator import PrinterSimulator
from intake.cli.main import app
from intake.ticket.issue import issue_ticket
from tests.intake.store.conftest import KEY
from tests.intake.ticket.conftest import PLANT
from tests.intake.ticket.escpos_decode import decode


@pytest.fixture
def cli(db_path, monkeypatch):
    monkeypatch.setenv("INTAKE_TEST_TICKET_KEY", KEY.decode())
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, ["ticket", *args, "--db", f"sqlite:///{db_path}", "--key", "env:INTAKE_TEST_TICKET_KEY"])
    return run


def test_issue_pending_then_verify(cli, visits):
    issued = cli("issue", "--pending", "--json")
    assert issued.exit_code == 0, issued.output
    lines = [json.loads(line) for line in issued.stdout.splitlines()]
    assert [x["ticket"] for x in lines] == [1, 2, 3, 4] and [x["visit"] for x in lines] == visits
    assert cli("issue", "--pending", "--json").stdout == ""     # nothing left to issue
    ok = cli("verify", lines[3]["code"])
    assert ok.exit_code == 0 and "the chain vouches for this ticket" in ok.stdout
    assert "出场重 Exit weight" in ok.stdout and "磅单号 Ticket no." in ok.stdout
    as_json = json.loads(cli("verify", "4", "--json").stdout)
    assert as_json["vouched"] and as_json["ticket"]["net_kg"] == 0 and as_json["ticket"]["second_kind"] == "exit"


def test_verify_a_tampered_weighing_exits_1(cli, tickets, db_path, visits):
    con = sqlite3.connect(db_path)
    with con:
        con.execute(f"UPDATE weighing SET weight_kg = weight_kg + 500 WHERE kind = 'in' AND visit_id = '{visits[0]}'")
    con.close()
    bad = cli("verify", tickets[0].code, "--json")
    assert bad.exit_code == 1
    out = json.loads(bad.stdout)
    assert not out["vouched"] and "weighing" in out["bad_rows"] and "gross_kg" in out["differs"]
    assert "does NOT vouch" in cli("verify", "1").stdout


def test_unknown_tickets_and_bad_input_exit_2(cli, tickets):
    missing = cli("verify", "ZZZZZZZZZZZZZZZZ")
    assert missing.exit_code == 2 and "no ticket" in missing.stderr
    assert cli("verify", "77").exit_code == 2
    assert cli("issue").exit_code == 2
    assert cli("issue", "no-such-visit").exit_code == 1
    assert cli("print", "1", "--size", "a4", "--pdf", "x.pdf").exit_code == 2
    assert cli("print", "1", "--printer", "lpt1").exit_code == 2


def test_print_pdf_then_receipt_is_a_copy(cli, tickets, tmp_path):
    first = cli("print", "2", "--pdf", str(tmp_path / "t.pdf"), "--json")
    assert first.exit_code == 0 and (tmp_path / "t.pdf").read_bytes().startswith(b"%PDF")
    assert json.loads(first.stdout)["reprint"] is False
    sim = PrinterSimulator().start()
    try:
        again = cli("print", "2", "--printer", f"tcp:{sim.host}:{sim.port}", "--json")
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout)["reprint"] is True
        (job,) = sim.wait_jobs(1)
    finally:
        sim.stop()
    assert "补打 / COPY" in decode(job).big_lines


def test_print_to_a_printer_that_is_off_exits_1(cli, tickets):
    off = cli("print", "3", "--printer", "tcp:127.0.0.1:1", "--json")
    assert off.exit_code == 1 and json.loads(off.stdout)["ok"] is False


def test_a_later_issue_continues_the_numbers(records, visits, cli):
    issue_ticket(records.engine, visits[0], PLANT)
    out = cli("issue", visits[2], "--json")
    assert out.exit_code == 0 and json.loads(out.stdout)["ticket"] == 2


def test_verify_on_a_database_without_tickets_says_so(tmp_path, monkeypatch):
    import sqlite3 as lite

    other = tmp_path / "other.db"
    lite.connect(other).execute("CREATE TABLE chainlink (seq INTEGER)").connection.close()
    monkeypatch.setenv("INTAKE_TEST_TICKET_KEY", KEY.decode())
    out = CliRunner().invoke(app, ["ticket", "verify", "1", "--db", f"sqlite:///{other}",
                                   "--key", "env:INTAKE_TEST_TICKET_KEY"])
    assert out.exit_code == 2 and "cannot read tickets" in out.stderr
