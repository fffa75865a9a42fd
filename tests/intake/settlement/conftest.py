"""A gate database on a real SQLite file with three days of deliveries (tests/intake/settlement/plant.py)
and the `intake settlement` command run against it."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from intake.cli.main import app
from intake.store.db import open_engine
from intake.store.records import Records
from tests.intake.settlement.plant import Delivered, seed_plant

KEY = b"settlement-test-key-0123456789abcdef"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "gate.db"


@pytest.fixture
def records(db_path: Path) -> Records:
    return Records(open_engine(f"sqlite:///{db_path}", KEY))


@pytest.fixture
def plant(records: Records) -> list[Delivered]:
    return seed_plant(records)


@pytest.fixture
def cli(db_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("INTAKE_TEST_SETTLEMENT_KEY", KEY.decode())
    runner = CliRunner()

    def run(*args: str, db: bool = True):
        extra = ["--db", f"sqlite:///{db_path}", "--key", "env:INTAKE_TEST_SETTLEMENT_KEY"] if db else []
        return runner.invoke(app, ["settlement", *args, *extra])
    return run
