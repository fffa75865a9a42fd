"""Tickets at the gate: the demo plant's trucks each get a ticket after the weigh-out, printed on
the simulated kiosk printer (real TCP), whose QR verifies; a ticket that cannot be issued
(the store failing) is logged, holds nobody, and is issued later."""
from __future__ import annotations

import asyncio
import logging
import sqlite3

from intake.config import load_config
from intake.demo.runner import DEMO_CONFIG, DemoOptions, run_demo
from intake.store.db import open_engine
from intake.store.keys import load_key
from intake.ticket.desk import TicketDesk
from intake.ticket.issue import issue_ticket, pending_visits
from intake.ticket.verify import check_ticket
from tests.intake.ticket.conftest import PLANT
from tests.intake.ticket.escpos_decode import decode


def test_every_demo_truck_gets_a_printed_ticket_that_verifies(tmp_path):
    out: list[dict] = []
    devices: dict[str, object] = {}
    db = f"sqlite:///{tmp_path / 'gate.db'}"
    opts = DemoOptions(trucks=4, speed=50, db=db, web=False, sampling_rate=1.0, data_dir=tmp_path / "data",
                       on_devices=devices.update)
    code = asyncio.run(asyncio.wait_for(run_demo(opts, out.append), timeout=240))
    assert code == 0 and len(out) == 4
    assert sorted(s["ticket"] for s in out) == [1, 2, 3, 4]
    jobs = devices["printer"].wait_jobs(4)   # type: ignore[attr-defined]
    assert len(jobs) == 4
    cfg = load_config(DEMO_CONFIG)
    engine = open_engine(db, load_key(cfg.site.audit_key), migrate=False)   # the key the demo used
    by_number = {s["ticket"]: s for s in out}
    for job in jobs:
        got = decode(job)
        (url,) = got.qr
        assert url.decode().startswith(f"http://{cfg.site.web_host}:{cfg.site.web_port}/t/")
        check = check_ticket(engine, url.decode())
        assert check is not None and check.vouched, check.summary() if check else url
        s = by_number[check.ticket.number]
        assert (check.ticket.plate, check.ticket.net_kg, check.ticket.received) == (s["plate"], s["net_kg"], s["received"])
        assert ("皮重 Tare (weighed)" if s["received"] else "出场重 Exit weight") in "\n".join(got.lines)
        assert "补打" not in "\n".join(got.lines) and got.cut


def test_a_ticket_the_store_refuses_holds_nobody_and_is_issued_later(records, visits, db_path, caplog):
    cfg = load_config(DEMO_CONFIG)
    desk = TicketDesk(cfg, records.engine)
    con = sqlite3.connect(db_path)
    with con:
        con.execute("ALTER TABLE ticket RENAME TO ticket_away")   # the store stops taking tickets
    with caplog.at_level(logging.ERROR, logger="intake.ticket.desk"):
        assert asyncio.run(desk.after_visit(cfg.lanes[0].model_copy(update={"printer": None}), visits[0])) is None
    assert "intake ticket issue" in caplog.text
    with con:
        con.execute("ALTER TABLE ticket_away RENAME TO ticket")
    con.close()
    assert pending_visits(records.engine) == visits
    assert issue_ticket(records.engine, visits[0], PLANT).number == 1


def test_a_visit_voided_before_its_weigh_out_gets_no_ticket(records):
    from hardware.sim.trucks import DEMO_MIX
    from intake.demo import masterdata
    from intake.store.records import Admission

    masterdata.seed(records.engine, [DEMO_MIX[0]])
    adm = records.admit(DEMO_MIX[0].plate, "1")
    assert isinstance(adm, Admission)
    records.record_decision(adm.visit, "review", ["weight_unknown"], None)
    desk = TicketDesk(load_config(DEMO_CONFIG), records.engine)
    assert asyncio.run(desk.after_visit(load_config(DEMO_CONFIG).lanes[0], adm.visit)) is None
    assert desk.issued == {}
