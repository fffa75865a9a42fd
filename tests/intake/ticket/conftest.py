"""A gate database with delivered trucks (weighed in, sampled, PASS, weighed out) and one truck
sent back with its load (REJECT, its second weighing an exit weight), each with its ticket."""
from __future__ import annotations

from pathlib import Path

import pytest

from hardware.sim.trucks import DEMO_MIX
from intake.demo import masterdata
from intake.store.db import open_engine
from intake.store.records import Admission, Records
from intake.ticket.issue import issue_ticket
from intake.ticket.tables import Ticket
from tests.intake.store.conftest import KEY, fill

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "tickets"
PLANT = "华东混凝土一厂 East China Ready-Mix No. 1"
BASE_URL = "https://gate.example.test"
IDENTITY = {"indicator": "toledo:Mettler Toledo IND570", "scale_max_kg": 60000, "scale_e_kg": 20.0}


def sent_back(records: Records) -> str:
    """The fourth demo truck: REJECTed, it leaves with its load (exit weight = its gross)."""
    truck = DEMO_MIX[3]
    masterdata.seed(records.engine, [truck])
    adm = records.admit(truck.plate, "1")
    assert isinstance(adm, Admission)
    loaded = truck.tare_kg + truck.load_kg
    records.record_weight(adm.visit, "in", loaded, "pty", IDENTITY)
    records.record_decision(adm.visit, "reject", ["muddy"], "muddy")
    records.record_weight(adm.visit, "out", loaded - 20, "pty", IDENTITY)
    return adm.visit


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "gate.db"


@pytest.fixture
def records(db_path: Path) -> Records:
    return Records(open_engine(f"sqlite:///{db_path}", KEY))


@pytest.fixture
def visits(records: Records) -> list[str]:
    """Three delivered trucks and one sent back, in that order."""
    delivered = fill(records, trucks=3)
    return [*delivered, sent_back(records)]


@pytest.fixture
def tickets(records: Records, visits: list[str]) -> list[Ticket]:
    return [issue_ticket(records.engine, v, PLANT) for v in visits]
