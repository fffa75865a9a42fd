"""A real PostgreSQL server for the sync tests (started once per session, a fresh database per
test) and a gate database on a real SQLite file that writes trucks' records.

No server binaries is a failure, not a skip: install Debian's `postgresql` (.ci/postgres.sh)."""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hardware.sim.trucks import DEMO_MIX
from intake.sync.outbox import local_head
from intake.demo import masterdata
from intake.store.db import make_engine, open_engine
from intake.store.tables import Decision, DeliveryOrder, Vehicle, Visit, Weighing
from intake.sync.central import register_site
from intake.sync.devserver import DevServer, ServerMissing, destroy, start_dev_server

SITE = "plant-7/gate-1"
KEY = b"sync-test-site-key-0123456789abcdef"
_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[DevServer]:
    try:
        server = start_dev_server()
    except ServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        destroy(server)


@pytest.fixture
def central_url(pg_server: DevServer) -> str:
    return pg_server.create_database(f"central_{next(_names)}")


@pytest.fixture
def central(central_url: str) -> Iterator[Engine]:
    engine = make_engine(central_url)
    register_site(engine, SITE, KEY)
    yield engine
    engine.dispose()


@dataclass
class Gate:
    engine: Engine
    url: str
    trucks: int = 0
    base: int = 0       # records before the first truck: the seed's master-data change records

    @property
    def records(self) -> int:
        """Chained records written so far (4 a truck, see `write`)."""
        return self.base + 4 * self.trucks

    def write(self, n: int, per_commit: int = 25) -> None:
        """n trucks: a visit, weigh-in, decision, weigh-out = 4 chained records each (after the
        seed's 28 master-data change records)."""
        with Session(self.engine) as session:
            fleet = session.exec(select(Vehicle.id, DeliveryOrder.id).join(
                DeliveryOrder, DeliveryOrder.vehicle_id == Vehicle.id)).all()
        for start in range(0, n, per_commit):
            numbers = range(self.trucks + start, self.trucks + min(n, start + per_commit))
            with Session(self.engine) as session:
                for i in numbers:
                    vehicle_id, order_id = fleet[i % len(fleet)]
                    session.add(Visit(id=f"v-{i:07d}", lane="1", vehicle_id=vehicle_id, order_id=order_id))
                session.flush()   # visits first: the records' foreign keys point at them
                for i in numbers:
                    visit, verdict = f"v-{i:07d}", ("pass", "reject", "review", None)[i % 4]
                    session.add_all([Weighing(visit_id=visit, kind="in", weight_kg=40_000 + i, scale_port="pty"),
                                     Decision(visit_id=visit, verdict=verdict, reasons=[], label=None),
                                     Weighing(visit_id=visit, kind="out", weight_kg=15_000, scale_port="pty")])
                session.commit()
        self.trucks += n


@pytest.fixture
def gate(tmp_path) -> Iterator[Gate]:
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    engine = open_engine(url, KEY)
    masterdata.seed(engine, list(DEMO_MIX))
    yield Gate(engine, url, base=local_head(engine))
    engine.dispose()
