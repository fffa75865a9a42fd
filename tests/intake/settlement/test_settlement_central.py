"""The settlement export and summary from the central PostgreSQL (a real server, started by the
sync tests' fixture) for two gates after `intake sync`: a site column on each line, each site's
net kg equal to its own weighings', a payload edited at the centre flagged."""
from __future__ import annotations

import json
from datetime import timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from intake.settlement.central import central_deliveries
from intake.settlement.lines import window
from intake.store.db import make_engine, open_engine
from intake.store.records import Records
from intake.sync.central import register_site
from intake.sync.client import catch_up
from tests.intake.settlement.conftest import KEY
from tests.intake.settlement.plant import add_lab, seed_plant, weighings_net
from tests.intake.sync.conftest import central_url, pg_server  # noqa: F401  (the real PostgreSQL fixtures)

SITES = {"plant-7/gate-1": KEY, "plant-7/gate-2": b"second-gate-key-0123456789abcdef"}
NOVEMBER = window("2026-11-01", "2026-11-30", timezone.utc)


@pytest.fixture
def centre(central_url: str, records: Records, tmp_path: Path) -> tuple[Engine, dict[str, Records]]:  # noqa: F811
    engine = make_engine(central_url)
    second = Records(open_engine(f"sqlite:///{tmp_path / 'gate2.db'}", SITES["plant-7/gate-2"]))
    gates = {"plant-7/gate-1": records, "plant-7/gate-2": second}
    seed_plant(records, days=3)
    add_lab(records, 50_000_000, "fail")
    seed_plant(second, days=2, per_day=5, start=1)
    for site, gate in gates.items():
        register_site(engine, site, SITES[site])
        catch_up(gate.engine, engine, site, SITES[site], batch_size=50)
    yield engine, gates
    engine.dispose()


def test_each_sites_net_at_the_centre_equals_its_weighings(centre):
    engine, gates = centre
    lines = list(central_deliveries(engine, NOVEMBER, chunk=7))
    assert {d.site for d in lines} == set(SITES) and all(d.verified for d in lines)
    for site, gate in gates.items():
        trucks, net = weighings_net(gate.engine, NOVEMBER.start, NOVEMBER.end)
        mine = [d for d in lines if d.site == site]
        assert len(mine) == trucks and sum(d.net_kg or 0 for d in mine) == net
        assert [d.ticket for d in mine] == list(range(1, trucks + 1))   # by (site, chain order): issue order
    first = lines[0]
    assert (first.site, first.ticket, first.lab, first.lab_results) == ("plant-7/gate-1", 1, "fail", "silt_pct=7.9 % fail")
    one_site = list(central_deliveries(engine, window("2026-11-03", "2026-11-03", timezone.utc, "ds-stone"),
                                       site="plant-7/gate-2"))
    assert one_site and {(d.site, d.supplier) for d in one_site} == {("plant-7/gate-2", "ds-stone")}


def test_a_payload_edited_at_the_centre_is_not_exported_as_fact(centre):
    engine, _ = centre
    with engine.begin() as conn:
        conn.execute(text("UPDATE central_record SET payload = jsonb_set(payload, '{net_kg}', '99999') "
                          "WHERE site = 'plant-7/gate-2' AND table_name = 'ticket' AND payload->>'number' = '3'"))
    lines = {(d.site, d.ticket): d for d in central_deliveries(engine, NOVEMBER)}
    forged = lines[("plant-7/gate-2", 3)]
    assert (forged.verified, forged.net_kg, forged.gross_kg) == (False, None, None)
    assert all(d.verified for k, d in lines.items() if k != ("plant-7/gate-2", 3))


def test_cli_reads_the_centre(centre, cli):
    engine, gates = centre
    url = engine.url.render_as_string(hide_password=False)
    done = cli("export", "--central", url, "--from", "2026-11-01", "--to", "2026-11-30", "--format", "json", db=False)
    assert done.exit_code == 0, done.output
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    nets = {site: weighings_net(g.engine, NOVEMBER.start, NOVEMBER.end)[1] for site, g in gates.items()}
    assert sum(x["net_kg"] for x in lines) == sum(nets.values())
    summary = cli("summary", "--central", url, "--site", "plant-7/gate-2", "--from", "2026-11-01", "--to", "2026-11-30",
                  "--tz", "UTC", "--json", db=False)
    assert summary.exit_code == 0, summary.output
    rows = [json.loads(x) for x in summary.stdout.splitlines()]
    assert sum(r["received_kg"] for r in rows) == nets["plant-7/gate-2"] and sum(r["trucks"] for r in rows) == 10


def test_a_centre_made_before_the_settlement_indexes_gets_them(centre):
    from intake.sync.central import ensure_schema

    engine, _ = centre
    names = "SELECT indexname FROM pg_indexes WHERE tablename = 'central_record' AND indexname LIKE 'ix_central_record_%'"
    with engine.begin() as conn:
        assert sorted(conn.execute(text(names)).scalars()) == ["ix_central_record_lab_code", "ix_central_record_ticket"]
        conn.execute(text("DROP INDEX ix_central_record_ticket"))
        conn.execute(text("DROP INDEX ix_central_record_lab_code"))
    ensure_schema(engine)
    with engine.connect() as conn:
        assert sorted(conn.execute(text(names)).scalars()) == ["ix_central_record_lab_code", "ix_central_record_ticket"]


def test_the_centres_cursor_misses_and_doubles_nothing_while_gates_sync(centre, tmp_path):
    """The ERP polls the centre's API in small pages while both gates deliver and sync between
    polls, a new third gate among them: every ticket of every site once, in each site's order,
    the chain vouching; a caught-up poll hands back the same cursor."""
    import httpx

    from intake.lane.status import StatusHub
    from intake.web.app import create_app
    from intake.web.server import WebServer
    from intake.web.settlement import central_settlement_router

    engine, gates = centre
    app = create_app(StatusHub())
    app.include_router(central_settlement_router(engine, "centre-erp-token", "Asia/Shanghai"))
    server = WebServer(app)
    server.start()
    third_key = b"third-gate-key-0123456789abcdefgh"
    third = Records(open_engine(f"sqlite:///{tmp_path / 'gate3.db'}", third_key))
    everyone = {**gates, "plant-8/gate-1": third}
    keys = {**SITES, "plant-8/gate-1": third_key}
    seen: list[tuple[str, int]] = []
    cursor: str | None = None

    def poll() -> dict:
        params = {"limit": "4", **({"after": cursor} if cursor else {})}
        reply = httpx.get(f"{server.url}/api/settlement/deliveries", params=params,
                          headers={"Authorization": "Bearer centre-erp-token"}, timeout=10)
        assert reply.status_code == 200, reply.text
        return reply.json()

    try:
        for round_ in range(3):
            body = poll()
            seen += [(d["site"], d["ticket"]) for d in body["deliveries"]]
            assert all(d["verified"] for d in body["deliveries"])
            cursor = body["next"]
            seed_plant(gates["plant-7/gate-1"], days=1, per_day=2, start=100 + 10 * round_)   # more trucks, then sync
            if round_ == 1:
                register_site(engine, "plant-8/gate-1", third_key)
                seed_plant(third, days=1, per_day=3, start=200)
            for site, gate in everyone.items():
                if round_ >= 1 or site != "plant-8/gate-1":
                    catch_up(gate.engine, engine, site, keys[site], batch_size=50)
        while True:
            body = poll()
            seen += [(d["site"], d["ticket"]) for d in body["deliveries"]]
            if not body["more"]:
                break
            cursor = body["next"]
        caught_up = body["next"]
        assert poll_with(server.url, caught_up)["deliveries"] == [] and poll_with(server.url, caught_up)["next"] == caught_up
    finally:
        server.stop()
        third.engine.dispose()
    assert len(seen) == len(set(seen))   # nothing twice
    for site, gate in everyone.items():
        with gate.engine.connect() as conn:
            issued = sorted(int(n) for (n,) in conn.execute(text("SELECT number FROM ticket")))
        assert [t for s, t in seen if s == site] == issued   # every ticket, in its site's order


def poll_with(url: str, cursor: str) -> dict:
    import httpx

    reply = httpx.get(f"{url}/api/settlement/deliveries", params={"after": cursor, "limit": "4"},
                      headers={"Authorization": "Bearer centre-erp-token"}, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()
