"""Deck evidence on a gate database in PostgreSQL: the migration, the desk's chained rows, the
lane's latest snapshots, retention's query and the audit, on a real server started by the sync
suite's fixture."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from hardware.sim.trucks import DEMO_MIX
from intake.config import RetentionConfig
from intake.demo import masterdata
from intake.evidence.audit import check_files
from intake.evidence.retention import prune_snapshots
from intake.evidence.store import latest_deck_snapshots
from intake.store.audit import verify
from intake.store.db import open_engine
from intake.store.records import Admission, Records
from intake.sync.devserver import DevServer
from tests.intake.evidence.helpers import KEY, NOW, desk, image_file, job
from tests.intake.sync.conftest import pg_server   # noqa: F401 (the session's PostgreSQL server)


@pytest.fixture
def pg_engine(pg_server: DevServer) -> Iterator[Engine]:   # noqa: F811
    engine = open_engine(pg_server.create_database("gate_evidence"), KEY)   # migrates to the head
    yield engine
    engine.dispose()


def test_deck_evidence_on_postgresql(pg_engine: Engine, tmp_path) -> None:
    records = Records(pg_engine)
    masterdata.seed(pg_engine, list(DEMO_MIX[:1]))
    adm = records.admit(DEMO_MIX[0].plate, "1")
    assert isinstance(adm, Admission)
    weighing = records.record_weight(adm.visit, "in", 39_800, "pty")
    records.record_decision(adm.visit, None, [], None)
    data, cams = tmp_path / "data", tmp_path / "cams"
    d = desk(records, data, {"front": str(image_file(cams, "front.png", 1)), "cab": str(cams / "gone.png")})
    rows = asyncio.run(d.take(job((weighing, adm.visit, "in"))))
    assert [(r.view, r.missing) for r in latest_deck_snapshots(pg_engine, "1")] == [("cab", "cannot open"), ("front", None)]
    assert verify(pg_engine, KEY).ok and check_files(pg_engine, data) == (1, [])
    total = prune_snapshots(pg_engine, data, RetentionConfig(evidence_days=1), NOW + timedelta(days=2))
    assert total is not None and (total.loads, total.files) == (1, 1)
    assert not (data / next(r.path for r in rows if r.path)).exists()
    assert verify(pg_engine, KEY).ok and check_files(pg_engine, data) == (1, [])
