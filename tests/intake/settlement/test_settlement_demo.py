"""Reconciliation on a real demo database: the simulated plant runs the real gate (indicator on
a pty, Modbus sampler and I/O module, camera, ONNX model, tickets issued by the gate's desk),
then `intake settlement export` over the days it ran: one line per truck that weighed out, and
the export's net kg sum equals the weighings' and the demo's own per-truck figures."""
from __future__ import annotations

import asyncio
import csv
import io
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from intake.cli.main import app
from intake.demo.runner import DemoOptions, run_demo
from intake.settlement.lines import window
from intake.store.db import make_engine
from intake.ticket.tables import Ticket
from tests.intake.settlement.plant import weighings_net

PLANT_ZONE = ZoneInfo("Asia/Shanghai")   # the demo's [tickets] timezone


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    out: list[dict] = []
    db = f"sqlite:///{tmp / 'gate.db'}"
    opts = DemoOptions(trucks=7, speed=50, db=db, web=False, sampling_rate=1.0, data_dir=tmp / "data")
    code = asyncio.run(asyncio.wait_for(run_demo(opts, out.append), timeout=240))
    assert code == 0
    return db, out


def test_export_of_the_demo_reconciles(demo):
    db, out = demo
    trucks = [s for s in out if "refused" not in s]
    assert trucks and all(s["ticket"] is not None for s in trucks)
    engine = make_engine(db)
    with Session(engine) as session:   # the days the demo ran, from its records (not the clock)
        first, last = session.exec(select(func.min(Ticket.weighed_out_at), func.max(Ticket.weighed_out_at))).one()
    engine.dispose()
    since, until = (str(t.astimezone(PLANT_ZONE).date()) for t in (first, last))
    done = CliRunner().invoke(app, ["settlement", "export", "--db", db, "--from", since, "--to", until])
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout.removeprefix("\ufeff"))))
    assert sorted(r["record_id"] for r in rows) == sorted(s["visit"] for s in trucks)
    assert all(r["verified"] == "yes" for r in rows)
    by_visit = {s["visit"]: s for s in trucks}
    for r in rows:
        s = by_visit[r["record_id"]]
        assert (int(r["net_kg"]), r["received"] == "yes", int(r["ticket"]), r["plate"]) == \
            (s["net_kg"], s["received"], s["ticket"], s["plate"])
    w = window(since, until, PLANT_ZONE)
    engine = make_engine(db)
    n, net = weighings_net(engine, w.start, w.end)
    engine.dispose()
    assert n == len(rows) and sum(int(r["net_kg"]) for r in rows) == net == sum(s["net_kg"] for s in trucks)
    assert any(r["received"] == "no" and r["net_kg"] == "0" for r in rows)   # the mix sends some back
