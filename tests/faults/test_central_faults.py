"""The central PostgreSQL server goes down while trucks pass the gate (issue 8, "PostgreSQL down").

The gate runs the demo plant with its store-and-forward task beside it, as `intake run` does.
The centre is a real PostgreSQL server that this module starts; it is stopped after the first
truck, while the next ones are weighed, and started again. The gate must keep working (every
truck weighed, judged and recorded locally, the outbox growing), /health must say the link is
down, and once the server is back the outbox drains: the centre ends with exactly the local
chain, no gap, no duplicate, every record verifying with the site key. The link takes no part
in a truck's decision, so trucks during the outage are judged as usual (PASS allowed).
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from intake.lane.status import LaneStep
from intake.store.keys import load_key
from intake.store.db import make_engine
from intake.sync.central import register_site
from intake.sync.client import LinkStatus, run_background
from intake.sync.devserver import DevServer, ServerMissing, destroy, start_dev_server
from intake.sync.outbox import local_head
from intake.sync.receiver import verify_site
from intake.web.health import health_payload

from .harness import check_invariants
from .watched_run import Watch, run_watched

TRUCKS = 3


@pytest.fixture(scope="module")
def pg() -> Iterator[DevServer]:
    try:
        server = start_dev_server()
    except ServerMissing as exc:   # a missing server is a failure, not a skip
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        destroy(server)


def centre(engine: Engine, site: str) -> tuple[int, int, int, int]:
    """(records, lowest seq, highest seq, the site's mark) as the centre holds them."""
    with engine.connect() as conn:
        n, lo, hi = conn.execute(text("SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) "
                                      "FROM central_record WHERE site = :s"), {"s": site}).one()
        mark = conn.execute(text("SELECT high_seq FROM central_mark WHERE site = :s"), {"s": site}).scalar()
    return int(n), int(lo), int(hi), int(mark or 0)


async def eventually(check, timeout_s: float = 60.0, what: str = "") -> None:
    async def poll() -> None:
        while not await asyncio.to_thread(check):
            await asyncio.sleep(0.05)
    try:
        await asyncio.wait_for(poll(), timeout_s)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def test_central_server_down_while_trucks_pass(tmp_path, pg):
    url = pg.create_database("central_gate_down")
    central = make_engine(url)
    notes: dict = {}

    async def watcher(w: Watch) -> None:
        while w.gate is None:
            await asyncio.sleep(0.01)
        gate, link, stop = w.gate, LinkStatus(), asyncio.Event()
        gate.link = link   # as intake.runtime wires it for `intake run`
        site, key = gate.cfg.site.name, load_key(gate.cfg.site.audit_key)
        await asyncio.to_thread(register_site, central, site, key)
        sync = asyncio.create_task(run_background(gate.records.engine, url, site, key, stop, interval_s=0.1,
                                                  link=link))
        probe = gate.health
        local = lambda: local_head(gate.records.engine)   # noqa: E731
        try:
            # Truck 0 done and its records at the centre: then the server goes down.
            await eventually(lambda: len(w.summaries) >= 1 and link.state == "up"
                             and centre(central, site)[3] == local(), what="the first truck synced")
            notes["before"] = centre(central, site)[3]
            await asyncio.to_thread(pg.stop)
            await eventually(lambda: link.state == "down", what="the link reported down")
            # The other trucks pass while the centre is away; the outbox grows.
            await eventually(lambda: len(w.summaries) >= TRUCKS, timeout_s=90, what="every truck through")
            notes["outage_health"] = health_payload(gate.hub, probe)
            notes["outage_local"] = local()
            await asyncio.to_thread(pg.start)
            await eventually(lambda: link.state == "up" and centre(central, site)[3] == local(),
                             what="the outbox drained")
            notes["after_health"] = health_payload(gate.hub, probe)
            notes["site"], notes["key"], notes["head"] = site, key, local()
        finally:
            stop.set()
            await asyncio.wait_for(sync, 30)

    try:
        o, watch = run_watched(tmp_path, tmp_path / "gate.db", TRUCKS, watcher)
        site, head = notes["site"], notes["head"]
        held = centre(central, site)
        with central.connect() as conn:
            checked, bad = verify_site(conn, site, notes["key"])
            visits = conn.execute(text("SELECT count(*) FROM central_visit WHERE site = :s"), {"s": site}).scalar()
    finally:
        central.dispose()
    check_invariants(o, touched=set(), fired=0)    # every truck terminal, chain verifies
    down = notes["outage_health"]
    assert down["status"] == "degraded" and down["central"]["link"] == "down", down
    assert "faults" not in down                     # the gate itself kept working:
    assert all(s.step is not LaneStep.OUT_OF_SERVICE for s in watch.seen)   # never out of service
    assert notes["outage_local"] > notes["before"] and down["central"]["pending"] > 0
    assert notes["after_health"]["central"]["link"] == "up" and notes["after_health"]["central"]["pending"] == 0
    assert held == (head, 1, head, head)            # every record once, no gap, no duplicate
    assert (checked, bad) == (head, [])             # each verifies with the site key
    assert visits == sum(len(v) for v in o.visits.values())
